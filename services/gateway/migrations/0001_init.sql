-- The gateway schema: OAuth applications and access tokens (stored as SHA-256 digests only).
CREATE TABLE apps (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    website text,
    redirect_uris text NOT NULL,
    scopes text NOT NULL,
    client_id text NOT NULL UNIQUE,
    client_secret_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tokens (
    id bigint PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    app_id bigint NOT NULL REFERENCES apps (id),
    account_id bigint,                 -- null for an app token (client_credentials)
    scopes text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX tokens_by_account ON tokens (account_id) WHERE account_id IS NOT NULL;
