-- HTTP API: the country list behind the DID inventory, idempotency fingerprints, Call Me
-- attempts for the fraud rate limits.

CREATE TABLE countries (
    country         char(2) PRIMARY KEY CHECK (country ~ '^[A-Z]{2}$'),
    name            text NOT NULL,
    callme_allowed  boolean NOT NULL,
    notes           text NOT NULL DEFAULT ''
);

-- A pending claim has status 0 until the first request completes; the fingerprint refuses the
-- same key reused for another request.
ALTER TABLE idempotency_keys ADD COLUMN request_hash text NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN location text;

-- Accepted Call Me requests, counted in sliding windows per session, account and destination.
CREATE TABLE callme_attempts (
    id          bigserial PRIMARY KEY,
    session_id  text NOT NULL,
    account_id  text NOT NULL,
    e164        text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX callme_attempts_session ON callme_attempts (session_id, at);
CREATE INDEX callme_attempts_account ON callme_attempts (account_id, at);
CREATE INDEX callme_attempts_e164 ON callme_attempts (e164, at);
