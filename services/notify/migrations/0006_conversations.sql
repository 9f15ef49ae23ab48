-- Direct conversations as each participant sees them (Mastodon's account_conversations), kept
-- by the notify-conversations consumer from posts' status events (services/notify/
-- use_cases/keep_conversations.py). A conversation is a thread (its root status id, posts'
-- conversation_id) as far as it holds direct statuses the account takes part in.
CREATE TABLE conversations (
    account_id bigint NOT NULL,
    conversation_id bigint NOT NULL,
    last_status_id bigint NOT NULL,             -- the newest of its statuses: the paging order
    participant_ids bigint[] NOT NULL,          -- authors and mentioned of its statuses, self too
    unread boolean NOT NULL DEFAULT false,
    removed boolean NOT NULL DEFAULT false,     -- removed from the account's list, until a new
                                                -- status comes into it
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, conversation_id)
);
CREATE INDEX conversations_by_last_status ON conversations (account_id, last_status_id DESC)
    WHERE NOT removed;

-- The statuses in each account's conversations: a deleted one leaves, and its conversation's
-- last status moves back to the one before (or the conversation goes, with its last status).
CREATE TABLE conversation_statuses (
    account_id bigint NOT NULL,
    status_id bigint NOT NULL,
    conversation_id bigint NOT NULL,
    participant_ids bigint[] NOT NULL,          -- this status's author and mentioned
    PRIMARY KEY (account_id, status_id)
);
CREATE INDEX conversation_statuses_by_status ON conversation_statuses (status_id);
CREATE INDEX conversation_statuses_in_conversation
    ON conversation_statuses (account_id, conversation_id, status_id DESC);

-- Direct statuses deleted: their creation, redelivered or arriving late, adds nothing back.
CREATE TABLE conversation_statuses_deleted (
    status_id bigint PRIMARY KEY,
    deleted_at timestamptz NOT NULL DEFAULT now()
);
