-- Each status's thread root, Mastodon's conversation_id: a reply inherits its parent's, a status
-- that answers nothing starts its own thread (its own id). Reblogs belong to none (NULL).
-- notify keeps each participant's direct conversations by it (services/notify).
ALTER TABLE statuses ADD COLUMN conversation_id bigint;

-- The statuses written before: walk every thread down from its root.
WITH RECURSIVE thread AS (
    SELECT id, id AS root FROM statuses
    WHERE in_reply_to_id IS NULL AND reblog_of_id IS NULL AND conversation_id IS NULL
    UNION ALL
    SELECT s.id, thread.root FROM statuses s JOIN thread ON s.in_reply_to_id = thread.id
)
UPDATE statuses SET conversation_id = thread.root
FROM thread WHERE statuses.id = thread.id AND statuses.conversation_id IS NULL;
