-- Everything people do with statuses besides writing them: edits kept as history, favourites,
-- bookmarks, pins, polls and their votes, hashtag uses (for trends). Reblogs are statuses with
-- reblog_of_id set, at most one live reblog per account and status.

CREATE TABLE status_edits (
    id bigint PRIMARY KEY,
    status_id bigint NOT NULL REFERENCES statuses (id),
    text text NOT NULL,
    content_html text NOT NULL,
    spoiler_text text NOT NULL DEFAULT '',
    sensitive boolean NOT NULL DEFAULT false,
    poll_options text[],
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_edits_by_status ON status_edits (status_id, id);

CREATE TABLE favourites (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL,
    status_id bigint NOT NULL REFERENCES statuses (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, status_id)
);
CREATE INDEX favourites_by_status ON favourites (status_id, id DESC);
CREATE INDEX favourites_by_account ON favourites (account_id, id DESC);

CREATE TABLE bookmarks (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL,
    status_id bigint NOT NULL REFERENCES statuses (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, status_id)
);
CREATE INDEX bookmarks_by_account ON bookmarks (account_id, id DESC);

CREATE TABLE pins (
    account_id bigint NOT NULL,
    status_id bigint NOT NULL REFERENCES statuses (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, status_id)
);

CREATE UNIQUE INDEX statuses_one_reblog ON statuses (account_id, reblog_of_id)
    WHERE reblog_of_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX statuses_by_reblog_of ON statuses (reblog_of_id, id DESC)
    WHERE reblog_of_id IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE polls (
    id bigint PRIMARY KEY,
    status_id bigint NOT NULL UNIQUE REFERENCES statuses (id),
    options text[] NOT NULL,
    votes integer[] NOT NULL,
    multiple boolean NOT NULL DEFAULT false,
    expires_at timestamptz,
    votes_count integer NOT NULL DEFAULT 0,
    voters_count integer NOT NULL DEFAULT 0,
    ended_announced boolean NOT NULL DEFAULT false
);
CREATE INDEX polls_to_announce ON polls (expires_at) WHERE NOT ended_announced;

CREATE TABLE poll_votes (
    poll_id bigint NOT NULL REFERENCES polls (id),
    account_id bigint NOT NULL,
    choice integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, account_id, choice)
);

CREATE TABLE tag_uses (
    tag text NOT NULL,
    status_id bigint NOT NULL,
    account_id bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tag, status_id)
);
CREATE INDEX tag_uses_recent ON tag_uses (created_at);
