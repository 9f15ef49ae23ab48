-- Posting preferences Mastodon keeps under an account's `source`, and an id for followed
-- hashtags so that /api/v1/followed_tags pages like every other list (max_id, min_id).

ALTER TABLE accounts
    ADD COLUMN default_privacy text NOT NULL DEFAULT 'public'
        CHECK (default_privacy IN ('public', 'unlisted', 'private')),
    ADD COLUMN default_sensitive boolean NOT NULL DEFAULT false,
    ADD COLUMN default_language text;

ALTER TABLE followed_tags ADD COLUMN id bigint;
-- Rows written before this migration get ids in the snowflake layout of shared/ids.py (ms since
-- 2025-01-01 in the high bits), so they sort with the new ones by when they were followed.
UPDATE followed_tags f SET id = numbered.id
FROM (
    SELECT account_id, tag,
           (greatest(0, (extract(epoch FROM created_at) * 1000)::bigint - 1735689600000) << 22)
           + row_number() OVER (ORDER BY created_at, account_id, tag) AS id
    FROM followed_tags
) numbered
WHERE f.account_id = numbered.account_id AND f.tag = numbered.tag;
ALTER TABLE followed_tags ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX followed_tags_paged ON followed_tags (account_id, id);

CREATE INDEX invitations_by_network ON invitations (network_id, id);
