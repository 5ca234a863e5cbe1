-- Core model: accounts, numbers, sessions, legs. Times of call events are epoch milliseconds
-- (bigint) taken from Asterisk's event timestamps; bookkeeping times are timestamptz.

CREATE TABLE accounts (
    account_id              text PRIMARY KEY CHECK (length(account_id) BETWEEN 1 AND 64),
    plan                    text NOT NULL,
    advanced_audio          boolean NOT NULL DEFAULT false,
    billing_mode            text NOT NULL CHECK (billing_mode IN ('online', 'offline', 'invoice')),
    billing_contact_user_id text NOT NULL,
    default_audio           jsonb NOT NULL DEFAULT '{}'::jsonb,
    billing_increment       text NOT NULL DEFAULT '60/60'
                            CHECK (billing_increment IN ('60/60', '6/6', '1/1')),
    spend_warning           numeric(14, 4),
    spend_limit             numeric(14, 4),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dids (
    e164        text PRIMARY KEY CHECK (e164 ~ '^\+[1-9][0-9]{6,14}$'),
    country     char(2) NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('toll', 'toll_free')),
    active      boolean NOT NULL DEFAULT true
);
CREATE INDEX dids_country ON dids (country, kind) WHERE active;

CREATE TABLE sessions (
    session_id          text PRIMARY KEY,
    account_id          text NOT NULL REFERENCES accounts (account_id),
    organizer_id        text NOT NULL,
    title               text NOT NULL,
    starts_at_ms        bigint NOT NULL,
    access_code         text NOT NULL CHECK (access_code ~ '^[0-9]{6,12}$'),
    organizer_pin       text NOT NULL CHECK (organizer_pin ~ '^[0-9]{4,8}$'),
    state               text NOT NULL
                        CHECK (state IN ('scheduled', 'organizer_joined', 'started', 'ended', 'cancelled')),
    tollfree_countries  text[] NOT NULL DEFAULT '{}',
    audio               jsonb NOT NULL,
    node                text,
    organizer_joined_at_ms bigint,
    started_at_ms       bigint,
    ended_at_ms         bigint,
    cancelled_at_ms     bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
-- Two open sessions never share an access code: the code alone routes a caller.
CREATE UNIQUE INDEX sessions_open_access_code ON sessions (access_code)
    WHERE state IN ('scheduled', 'organizer_joined', 'started');
CREATE INDEX sessions_account ON sessions (account_id, state);

CREATE TABLE legs (
    leg_id          text PRIMARY KEY,
    session_id      text REFERENCES sessions (session_id),
    kind            text NOT NULL CHECK (kind IN ('toll', 'tollfree', 'callme')),
    role            text NOT NULL CHECK (role IN ('organizer', 'panelist', 'attendee')),
    state           text NOT NULL
                    CHECK (state IN ('created', 'answered', 'waiting', 'in_conference', 'left', 'ended')),
    node            text NOT NULL,
    uniqueid        text,
    channel         text,
    country         char(2),
    caller_e164     text,
    did             text,
    participant_id  text,
    display_name    text,
    created_at_ms   bigint NOT NULL,
    answered_at_ms  bigint,
    waiting_at_ms   bigint,
    conference_at_ms bigint,
    left_at_ms      bigint,
    ended_at_ms     bigint,
    end_reason      text,
    end_detail      text,
    hangup_cause    integer,
    estimated       boolean NOT NULL DEFAULT false,
    muted           boolean NOT NULL DEFAULT false,
    idle_deadline_ms bigint,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX legs_node_uniqueid ON legs (node, uniqueid) WHERE uniqueid IS NOT NULL;
CREATE INDEX legs_session ON legs (session_id, created_at_ms);
CREATE INDEX legs_open ON legs (node) WHERE state <> 'ended';
-- The five-minute rule is data: pending deadlines survive a restart and fire once.
CREATE INDEX legs_idle_deadline ON legs (idle_deadline_ms)
    WHERE idle_deadline_ms IS NOT NULL AND state <> 'ended';

CREATE TABLE lockouts (
    key             text PRIMARY KEY,
    failures        integer NOT NULL,
    window_start_ms bigint NOT NULL,
    locked_until_ms bigint
);

CREATE TABLE api_tokens (
    token_id    text PRIMARY KEY,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('app', 'operator', 'admin')),
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE idempotency_keys (
    token_id    text NOT NULL,
    key         text NOT NULL,
    method      text NOT NULL,
    path        text NOT NULL,
    status      integer NOT NULL,
    body        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);

CREATE TABLE webhook_outbox (
    id              bigserial PRIMARY KEY,
    event_id        text NOT NULL UNIQUE,
    kind            text NOT NULL,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    last_error      text
);
CREATE INDEX webhook_outbox_pending ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL;

CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    action  text NOT NULL,
    target  text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'::jsonb
);
