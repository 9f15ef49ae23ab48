-- The OAuth password grant hands a person's password to the app (RFC 9700 2.4): refused unless
-- the network's admins list the app's client_id here. Empty for every network, old and new.
ALTER TABLE networks ADD COLUMN password_grant_apps text[] NOT NULL DEFAULT '{}';
