-- Threads a person muted (Mastodon's "mute conversation"): no more notifications about the
-- statuses of that thread. ``conversation_id`` is the thread's root (statuses' conversation_id).
CREATE TABLE thread_mutes (
    account_id bigint NOT NULL,
    conversation_id bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, conversation_id)
);
