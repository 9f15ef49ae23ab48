-- An author's hashtags (featured tags' counts, featured tag suggestions) without scanning
-- every use of every tag.
CREATE INDEX tag_uses_by_account ON tag_uses (account_id, tag);
