-- Network roles and the audit log (#14). Community roles (community_members.role) are separate.
--
-- owner: administers the network and alone makes or unmakes owners and admins;
-- admin: administers the network (settings, invitations, password-grant apps, deactivation,
--        moderator/member/guest roles); moderator: deactivates members and guests;
-- member; guest: a member who may not list the network's members.
-- Until this migration the first sign-up of a network was its 'admin', the only one: it made
-- the network, so it becomes its owner, and every network keeps someone who can name admins.
UPDATE accounts SET role = 'owner' WHERE role = 'admin';
ALTER TABLE accounts ADD CONSTRAINT accounts_role
    CHECK (role IN ('owner', 'admin', 'moderator', 'member', 'guest'));
-- The last-owner rule counts these.
CREATE INDEX accounts_owners ON accounts (network_id) WHERE role = 'owner';

-- Who did what to whom in a network, when, from where, with which app. Append-only: the graph
-- runtime role may INSERT and SELECT it, never UPDATE or DELETE (shared/db_roles.py revokes
-- them). No foreign keys: the log outlives what it names, and must never stop a deletion.
CREATE TABLE audit_log (
    id bigint PRIMARY KEY,                 -- time-ordered (shared/ids.py): the page cursor
    network_id bigint NOT NULL,
    actor_kind text NOT NULL
        CHECK (actor_kind IN ('account', 'operator', 'scim', 'sso', 'system')),
    actor_id bigint,                       -- the acting account, when actor_kind = 'account'
    action text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    target_id bigint,                      -- the account acted on, if any
    details jsonb NOT NULL DEFAULT '{}',   -- old/new values, changed fields; never a secret
    ip text,                               -- the client's address (behind trusted proxies)
    app_id bigint,                         -- the OAuth app of the token used
    app_name text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((actor_kind = 'account') = (actor_id IS NOT NULL))
);
CREATE INDEX audit_log_by_network ON audit_log (network_id, id);
