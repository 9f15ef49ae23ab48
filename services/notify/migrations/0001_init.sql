-- The notify schema: one row per notification; dedupe_key makes a redelivered event harmless.
CREATE TABLE notifications (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL,          -- who is notified
    type text NOT NULL,
    from_account_id bigint NOT NULL,
    status_id bigint,
    dedupe_key text NOT NULL UNIQUE,     -- <event id>:<recipient>
    created_at timestamptz NOT NULL DEFAULT now(),
    dismissed_at timestamptz
);
CREATE INDEX notifications_by_account ON notifications (account_id, id DESC)
    WHERE dismissed_at IS NULL;
CREATE INDEX notifications_by_status ON notifications (status_id) WHERE status_id IS NOT NULL;
