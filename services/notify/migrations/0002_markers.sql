-- Read positions (Mastodon markers) for the home timeline and notifications.
CREATE TABLE markers (
    account_id bigint NOT NULL,
    timeline text NOT NULL CHECK (timeline IN ('home', 'notifications')),
    last_read_id bigint NOT NULL,
    version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, timeline)
);
