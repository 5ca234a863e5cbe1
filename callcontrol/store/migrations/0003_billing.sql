-- Billing: rates by effective date, an append-only ledger, spend alerts.

-- A rate is published once; a new price is a new row with a later effective date.
CREATE TABLE rates (
    country             text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    kind                text NOT NULL CHECK (kind IN ('tollfree', 'callme')),
    effective_from_ms   bigint NOT NULL,
    per_minute          numeric(14, 6) NOT NULL CHECK (per_minute >= 0),
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    version             text NOT NULL CHECK (length(version) BETWEEN 1 AND 64),
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country, kind, effective_from_ms)
);

-- One line per rating of an ended leg. A leg's n-th charge is (leg_id, n, 'charge'); it is
-- corrected by (leg_id, n, 'void'), which mirrors it with negated quantities, then
-- (leg_id, n + 1, 'charge'). The keys below make a second live charge for a leg impossible.
CREATE TABLE ledger_lines (
    -- No foreign key out of the ledger: a line carries all it needs to be explained, legs
    -- reach their table in batches, and a per-line key-share lock on the account row would
    -- cost the bulk path a third of its speed. Billing checks the account before rating.
    leg_id           text NOT NULL,
    charge_seq       integer NOT NULL CHECK (charge_seq >= 1),
    entry            text NOT NULL CHECK (entry IN ('charge', 'void')),
    session_id       text NOT NULL,
    account_id       text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('toll', 'tollfree', 'callme')),
    role             text NOT NULL,
    country          text,
    caller_masked    text,
    answered_at_ms   bigint,
    ended_at_ms      bigint NOT NULL,
    -- Places the line in a period (reports, month-to-date spend): the answer time, or the
    -- leg's creation for a leg never answered. A void shares its charge's period.
    period_at_ms     bigint NOT NULL,
    end_reason       text,
    outcome          text NOT NULL CHECK (outcome IN ('bill_all', 'void_all')),
    rule             text NOT NULL CHECK (rule IN ('toll_not_billed',
                         'void_cancelled_never_started', 'unanswered', 'billed_answer_to_end',
                         'idle_drop_billed_to_drop')),
    reason           text,  -- a void line: why the charge no longer holds
    seconds          integer NOT NULL,
    increment        text NOT NULL,
    billed_seconds   integer NOT NULL,
    rounded_minutes  numeric(14, 4) NOT NULL,
    per_minute       numeric(14, 6) NOT NULL,
    rate_version     text,
    currency         text,
    amount           numeric(14, 4) NOT NULL,
    estimated        boolean NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- What each line must point at: a void at its charge, a later charge at the previous
    -- void (one foreign key for both: one check per inserted line).
    parent_seq       integer GENERATED ALWAYS AS (CASE
                         WHEN entry = 'void' THEN charge_seq
                         WHEN charge_seq > 1 THEN charge_seq - 1 END) STORED,
    parent_entry     text GENERATED ALWAYS AS (CASE
                         WHEN entry = 'void' THEN 'charge'
                         WHEN charge_seq > 1 THEN 'void' END) STORED,
    -- A line is named by its leg, its step and its entry: "leg X, charge 2".
    CONSTRAINT ledger_lines_pkey PRIMARY KEY (leg_id, charge_seq, entry),
    CONSTRAINT ledger_follows_its_parent FOREIGN KEY (leg_id, parent_seq, parent_entry)
        REFERENCES ledger_lines (leg_id, charge_seq, entry),
    CONSTRAINT ledger_signs CHECK (
        (entry = 'charge' AND seconds >= 0 AND billed_seconds >= 0 AND amount >= 0
            AND rounded_minutes >= 0 AND reason IS NULL)
        OR (entry = 'void' AND seconds <= 0 AND billed_seconds <= 0 AND amount <= 0
            AND rounded_minutes <= 0 AND reason IS NOT NULL))
);
CREATE INDEX ledger_account_period ON ledger_lines (account_id, period_at_ms);
CREATE INDEX ledger_session ON ledger_lines (session_id);

-- The owner of a table cannot REVOKE from itself, so immutability is a trigger.
CREATE FUNCTION ledger_lines_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger lines are immutable (% refused): correct with a void and a new charge', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER ledger_lines_no_update_delete BEFORE UPDATE OR DELETE ON ledger_lines
    FOR EACH ROW EXECUTE FUNCTION ledger_lines_immutable();
CREATE TRIGGER ledger_lines_no_truncate BEFORE TRUNCATE ON ledger_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_lines_immutable();

-- A spend threshold crossed in a month, once: the dashboard's alert and the webhook's dedup.
CREATE TABLE spend_alerts (
    account_id  text NOT NULL REFERENCES accounts (account_id),
    period      text NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    level       text NOT NULL CHECK (level IN ('warning', 'limit')),
    spent       numeric(14, 4) NOT NULL,
    threshold   numeric(14, 4) NOT NULL,
    raised_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, period, level)
);
