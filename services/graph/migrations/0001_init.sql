-- The graph schema: networks, accounts and their credentials, follows; plus the outbox.
CREATE TABLE networks (
    id bigint PRIMARY KEY,
    domain text NOT NULL UNIQUE,
    name text NOT NULL DEFAULT '',
    invitation_only boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    network_id bigint NOT NULL REFERENCES networks (id),
    username text NOT NULL,
    email text NOT NULL,
    password_hash text NOT NULL,
    display_name text NOT NULL DEFAULT '',
    note text NOT NULL DEFAULT '',
    locked boolean NOT NULL DEFAULT false,
    bot boolean NOT NULL DEFAULT false,
    discoverable boolean NOT NULL DEFAULT true,
    role text NOT NULL DEFAULT 'member',
    followers_count integer NOT NULL DEFAULT 0,
    following_count integer NOT NULL DEFAULT 0,
    statuses_count integer NOT NULL DEFAULT 0,
    last_status_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_username ON accounts (lower(username));
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));

CREATE TABLE follows (
    follower_id bigint NOT NULL REFERENCES accounts (id),
    followee_id bigint NOT NULL REFERENCES accounts (id),
    reblogs boolean NOT NULL DEFAULT true,
    notify boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
);
CREATE INDEX follows_followee ON follows (followee_id, follower_id);

CREATE TABLE outbox (
    id bigint PRIMARY KEY,
    subject text NOT NULL,
    payload bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
