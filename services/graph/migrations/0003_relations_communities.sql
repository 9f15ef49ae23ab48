-- Profiles, follow requests, blocks, mutes, followed hashtags, invitations and communities.

ALTER TABLE accounts
    ADD COLUMN fields jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN avatar_url text,
    ADD COLUMN header_url text,
    ADD COLUMN title text NOT NULL DEFAULT '',
    ADD COLUMN department text NOT NULL DEFAULT '',
    ADD COLUMN deactivated_at timestamptz;
CREATE INDEX accounts_username_prefix ON accounts (lower(username) text_pattern_ops);
CREATE INDEX accounts_display_name_prefix ON accounts (lower(display_name) text_pattern_ops);
CREATE INDEX accounts_by_network ON accounts (network_id, id);

CREATE TABLE follow_requests (
    id bigint PRIMARY KEY,
    follower_id bigint NOT NULL REFERENCES accounts (id),
    followee_id bigint NOT NULL REFERENCES accounts (id),
    reblogs boolean NOT NULL DEFAULT true,
    notify boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (follower_id, followee_id)
);
CREATE INDEX follow_requests_by_followee ON follow_requests (followee_id, id DESC);

CREATE TABLE blocks (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),   -- who blocks
    target_id bigint NOT NULL REFERENCES accounts (id),    -- who is blocked
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, target_id)
);
CREATE INDEX blocks_by_target ON blocks (target_id);

CREATE TABLE mutes (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    target_id bigint NOT NULL REFERENCES accounts (id),
    notifications boolean NOT NULL DEFAULT true,           -- also hide their notifications
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, target_id)
);

CREATE TABLE followed_tags (
    account_id bigint NOT NULL REFERENCES accounts (id),
    tag text NOT NULL,                                     -- lower case
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, tag)
);
CREATE INDEX followed_tags_by_tag ON followed_tags (tag, account_id);

CREATE TABLE invitations (
    id bigint PRIMARY KEY,
    network_id bigint NOT NULL REFERENCES networks (id),
    email text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    invited_by bigint NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    accepted_at timestamptz,
    accepted_by bigint REFERENCES accounts (id)
);

CREATE TABLE communities (
    id bigint PRIMARY KEY,
    network_id bigint NOT NULL REFERENCES networks (id),   -- the host network
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    membership text NOT NULL CHECK (membership IN ('open', 'approval')),
    external boolean NOT NULL DEFAULT false,               -- other networks may be invited
    created_by bigint NOT NULL REFERENCES accounts (id),
    members_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX communities_name ON communities (network_id, lower(name));

CREATE TABLE community_members (
    community_id bigint NOT NULL REFERENCES communities (id),
    account_id bigint NOT NULL REFERENCES accounts (id),
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'guest')),
    notify boolean NOT NULL DEFAULT false,                  -- hubbub.community_post notifications
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, account_id)
);
CREATE INDEX community_members_by_account ON community_members (account_id, community_id);

CREATE TABLE community_requests (
    id bigint PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities (id),
    account_id bigint NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (community_id, account_id)
);

CREATE TABLE community_invitations (
    id bigint PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities (id),
    account_id bigint NOT NULL REFERENCES accounts (id),
    invited_by bigint NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (community_id, account_id)
);
