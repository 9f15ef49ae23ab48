-- Who gets in (#14). Networks are made by operators (`hubbub network create`) and claim e-mail
-- domains; nobody makes one by signing up. A sign-up becomes a member of the network that claimed
-- its address's domain only once the address is confirmed and, when the instance's registrations
-- need approval, an admin approved it.
CREATE TABLE network_domains (
    domain text PRIMARY KEY CHECK (domain = lower(domain)),
    network_id bigint NOT NULL REFERENCES networks (id),
    claimed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX network_domains_by_network ON network_domains (network_id);
-- Every network made before this migration claimed its own domain by being made.
INSERT INTO network_domains (domain, network_id) SELECT lower(domain), id FROM networks
ON CONFLICT DO NOTHING;

ALTER TABLE accounts ADD COLUMN confirmed_at timestamptz;  -- the address was proven
ALTER TABLE accounts ADD COLUMN approved_at timestamptz;   -- admitted (at once, unless approval)
UPDATE accounts SET confirmed_at = created_at, approved_at = created_at;
-- A member: confirmed, approved and not deactivated. Queries of who may be seen read this one
-- column, so that an account waiting for its confirmation or approval is nobody's to see.
ALTER TABLE accounts ADD COLUMN active boolean GENERATED ALWAYS AS (
    deactivated_at IS NULL AND confirmed_at IS NOT NULL AND approved_at IS NOT NULL) STORED;
-- One account per confirmed address. Unconfirmed sign-ups may repeat an address: a sign-up with
-- an address that already has an account answers like any other (the address's owner is told by
-- mail instead), so sign-up does not tell who has an account.
DROP INDEX accounts_email;
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email)) WHERE confirmed_at IS NOT NULL;
-- The approval queue of a network.
CREATE INDEX accounts_awaiting_approval ON accounts (network_id, id)
    WHERE approved_at IS NULL AND confirmed_at IS NOT NULL AND deactivated_at IS NULL;

CREATE TABLE email_confirmations (
    token_hash text PRIMARY KEY,           -- SHA-256 of the link's token: a dump confirms no one
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX email_confirmations_by_account ON email_confirmations (account_id);

-- The network role an invitation gives: the operator's first invitation makes the owner.
-- invited_by is null for the operator's (who has no account).
ALTER TABLE invitations ADD COLUMN role text NOT NULL DEFAULT 'member';
ALTER TABLE invitations ALTER COLUMN invited_by DROP NOT NULL;

-- The first-run setup page's code (a digest), made by graph while the instance has no network
-- and written to its data folder for the operator: whoever reaches the server first does not
-- get to make the first network.
CREATE TABLE instance_setup (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    code_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
