-- Account extras (Mastodon's account notes, endorsements and featured tags).
-- A private note one account keeps about another: only its author ever sees it.
CREATE TABLE account_notes (
    account_id bigint NOT NULL REFERENCES accounts (id),
    target_id bigint NOT NULL REFERENCES accounts (id),
    comment text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, target_id)
);

-- Accounts featured on a profile (endorsements): only accounts the owner follows; an unfollow
-- ends the endorsement. ``id`` is what the owner's list pages by.
CREATE TABLE account_pins (
    id bigint NOT NULL UNIQUE,
    account_id bigint NOT NULL REFERENCES accounts (id),
    target_id bigint NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, target_id)
);
CREATE INDEX account_pins_by_owner ON account_pins (account_id, id);

-- Hashtags featured on a profile (at most 10, as the instance says). ``name`` keeps the case
-- the owner gave; ``tag`` is its lower-case identity, the one statuses carry.
CREATE TABLE featured_tags (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    name text NOT NULL,
    tag text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, tag)
);
