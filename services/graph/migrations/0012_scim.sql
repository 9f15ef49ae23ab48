-- SCIM 2.0 provisioning (#14, RFC 7643/7644): a network's directory (Entra ID, Okta...) creates,
-- changes and removes its accounts and groups with a bearer token a network admin made.
CREATE TABLE scim_tokens (
    id bigint PRIMARY KEY,
    network_id bigint NOT NULL REFERENCES networks (id),
    label text NOT NULL DEFAULT '',
    token_hash text NOT NULL UNIQUE,      -- SHA-256 of the token: a dump provisions nobody
    created_by bigint NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX scim_tokens_by_network ON scim_tokens (network_id, id) WHERE revoked_at IS NULL;

-- What the directory said of an account, kept as it said it (SCIM reads give back what was
-- written); the account row holds what Hubbub uses (e-mail, display name, deactivation).
CREATE TABLE scim_users (
    account_id bigint PRIMARY KEY REFERENCES accounts (id),
    network_id bigint NOT NULL REFERENCES networks (id),
    user_name text NOT NULL,
    external_id text,
    given_name text,
    family_name text,
    formatted text,
    display_name text,
    emails jsonb NOT NULL DEFAULT '[]',
    active boolean,                        -- null: the directory did not say (or removed it)
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz                 -- SCIM DELETE: deactivated, and 404 to SCIM since
);
CREATE UNIQUE INDEX scim_users_user_name ON scim_users (network_id, lower(user_name))
    WHERE deleted_at IS NULL;
CREATE INDEX scim_users_external_id ON scim_users (network_id, external_id)
    WHERE deleted_at IS NULL;

-- A SCIM group is a community of the network; members in and out are community memberships.
CREATE TABLE scim_groups (
    community_id bigint PRIMARY KEY REFERENCES communities (id),
    network_id bigint NOT NULL REFERENCES networks (id),
    external_id text,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz                 -- SCIM DELETE: its members removed, 404 to SCIM
);
CREATE INDEX scim_groups_by_network ON scim_groups (network_id, community_id)
    WHERE deleted_at IS NULL;
