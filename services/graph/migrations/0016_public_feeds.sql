-- Public feeds (Atom, RSS, JSON Feed): off by default, switched on by an account for itself and
-- by an external community's owner or admins. Partial indexes: the hashtag feed reads every
-- opted-in scope, which stays a small part of the table.
ALTER TABLE accounts ADD COLUMN public_feed boolean NOT NULL DEFAULT false;
ALTER TABLE communities ADD COLUMN public_feed boolean NOT NULL DEFAULT false;
CREATE INDEX accounts_public_feed ON accounts (id DESC) WHERE public_feed;
CREATE INDEX communities_public_feed ON communities (id DESC) WHERE public_feed AND external;
