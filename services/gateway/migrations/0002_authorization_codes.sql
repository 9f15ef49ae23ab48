-- OAuth authorization codes (the authorization-code grant, with PKCE). Stored as SHA-256 digests
-- only, like tokens: a database dump hands out no code that could be exchanged.
CREATE TABLE authorization_codes (
    code_hash text PRIMARY KEY,
    app_id bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    account_id bigint NOT NULL,
    redirect_uri text NOT NULL,
    scopes text NOT NULL,
    code_challenge text,               -- PKCE S256 challenge; null when the client sent none
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,               -- set by the one exchange that succeeds
    token_hash text                    -- the token it was exchanged for, revoked if it is replayed
);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
