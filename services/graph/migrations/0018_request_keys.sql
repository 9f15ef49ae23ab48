-- Idempotency keys of retried write requests (shared/request_keys.py): the gateway sends a
-- write again on another replica when the first gave no answer; the key commits with the write,
-- and a repeat is answered with the first run's recorded answer instead of writing twice.
CREATE TABLE request_keys (
    key text NOT NULL,
    verb text NOT NULL,
    owner uuid NOT NULL,            -- the handler run that applied it
    reply bytea,                    -- its answer, once recorded
    error_code text,                -- or the typed error it answered after writing
    error_message text,
    error_details bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, verb)
);
-- Keys are kept a day (request_keys.KEEP_HOURS), then deleted by age.
CREATE INDEX request_keys_created ON request_keys (created_at);
