-- Lists: a person's own selections of accounts they follow, each with its own timeline.
CREATE TABLE lists (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    title text NOT NULL,
    replies_policy text NOT NULL DEFAULT 'list'
        CHECK (replies_policy IN ('followed', 'list', 'none')),
    exclusive boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lists_by_account ON lists (account_id, id);

CREATE TABLE list_accounts (
    list_id bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (list_id, account_id)
);
CREATE INDEX list_accounts_by_account ON list_accounts (account_id, list_id);
