-- Events already applied to counters: a redelivered event must not count twice.
CREATE TABLE applied_events (
    event_id bigint PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);
