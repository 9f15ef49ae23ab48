-- Moderation (#17): what a network's moderators do to its accounts, and members' reports.
--
-- silenced: its posts leave the network and hashtag timelines of everyone but its followers
--   (Mastodon's limit); suspended: hidden from everyone and locked out (its tokens 401, no
--   sign-in); disabled: locked out, still seen; sensitized: its media shown as sensitive.
-- Each is a time, cleared by its undo (unsilence, unsuspend, enable, unsensitive). They are
-- separate from deactivated_at (offboarding, SCIM), so that undoing a suspension never
-- brings back someone the company removed.
ALTER TABLE accounts ADD COLUMN silenced_at timestamptz;
ALTER TABLE accounts ADD COLUMN suspended_at timestamptz;
ALTER TABLE accounts ADD COLUMN disabled_at timestamptz;
ALTER TABLE accounts ADD COLUMN sensitized_at timestamptz;
-- A suspended account is nobody's to see, as a deactivated one: every "who may be seen" query
-- reads this one column (0009), so it gains the suspension.
ALTER TABLE accounts DROP COLUMN active;
ALTER TABLE accounts ADD COLUMN active boolean GENERATED ALWAYS AS (
    deactivated_at IS NULL AND suspended_at IS NULL AND confirmed_at IS NOT NULL
    AND approved_at IS NOT NULL) STORED;

-- A member's report of an account of its network (Mastodon's reports). No federation: never
-- forwarded. Rules: Hubbub has none.
CREATE TABLE reports (
    id bigint PRIMARY KEY,                      -- time-ordered: the page cursor
    network_id bigint NOT NULL REFERENCES networks (id),
    account_id bigint NOT NULL REFERENCES accounts (id),         -- who reported
    target_account_id bigint NOT NULL REFERENCES accounts (id),  -- who is reported
    status_ids bigint[] NOT NULL DEFAULT '{}',   -- the reported account's, checked on the way in
    comment text NOT NULL DEFAULT '',
    category text NOT NULL DEFAULT 'other'
        CHECK (category IN ('spam', 'legal', 'violation', 'other')),
    assigned_account_id bigint REFERENCES accounts (id),
    action_taken_at timestamptz,                 -- resolved
    action_taken_by_account_id bigint REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reports_by_network ON reports (network_id, id);
CREATE INDEX reports_by_target ON reports (target_account_id, id);

-- Who may not sign up to a network (Mastodon's canonical e-mail, e-mail domain and IP blocks),
-- set by its admins and checked by registration (services/graph/use_cases/sign_up_blocks.py).
-- canonical_email: value is the SHA-256 of the canonical address (lowercase, dots and a +tag
-- dropped from the local part, as Mastodon), never the address; email_domain: value is the
-- domain (its subdomains are blocked too); ip: the range in ``ip``, with a severity.
CREATE TABLE sign_up_blocks (
    id bigint PRIMARY KEY,
    network_id bigint NOT NULL REFERENCES networks (id),
    kind text NOT NULL CHECK (kind IN ('canonical_email', 'email_domain', 'ip')),
    value text NOT NULL,
    ip cidr,
    severity text CHECK (severity IN ('sign_up_requires_approval', 'sign_up_block',
                                      'no_access')),
    comment text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    CHECK ((kind = 'ip') = (ip IS NOT NULL AND severity IS NOT NULL))
);
CREATE UNIQUE INDEX sign_up_blocks_unique ON sign_up_blocks (network_id, kind, value);
-- A sign-up from an address whose range needs approval waits in the approval queue once
-- confirmed, whatever the instance's registration mode.
ALTER TABLE accounts ADD COLUMN approval_required boolean NOT NULL DEFAULT false;
