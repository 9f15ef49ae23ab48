-- Content filters (Mastodon's v2 filters): a person's own rules for what to warn about, hide or
-- blur in which contexts, until when. Keywords and statuses are its rules; a v1 filter is one
-- keyword (its id is the keyword's).
CREATE TABLE filters (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    title text NOT NULL,
    context text[] NOT NULL,
    action text NOT NULL DEFAULT 'warn' CHECK (action IN ('warn', 'hide', 'blur')),
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX filters_by_account ON filters (account_id, id);

CREATE TABLE filter_keywords (
    id bigint PRIMARY KEY,
    filter_id bigint NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword text NOT NULL,
    whole_word boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX filter_keywords_by_filter ON filter_keywords (filter_id, id);

-- A status is posts' (no foreign key across schemas): the gateway checked that the owner may
-- see it; a status deleted later simply matches nothing.
CREATE TABLE filter_statuses (
    id bigint PRIMARY KEY,
    filter_id bigint NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    status_id bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (filter_id, status_id)
);
