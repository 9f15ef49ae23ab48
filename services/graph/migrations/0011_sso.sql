-- Single sign-on with OpenID Connect (#14). A network's admins configure one identity provider;
-- a person it vouches for is found again by the provider's (issuer, subject), never by e-mail,
-- which the person or the company may change.
CREATE TABLE identity_providers (
    network_id bigint PRIMARY KEY REFERENCES networks (id) ON DELETE CASCADE,
    issuer text NOT NULL,
    client_id text NOT NULL,
    -- Needed in clear for the token exchange (client_secret_basic). Write-only in the API.
    client_secret text NOT NULL,
    email_claim text NOT NULL DEFAULT 'email',
    display_name text NOT NULL,
    -- Required: password sign-in and the password grant are refused for the network's accounts.
    required boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE account_identities (
    issuer text NOT NULL,
    subject text NOT NULL,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    linked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX account_identities_by_account ON account_identities (account_id);
