-- A row handed to the writing process's relay (shared/outbox.py): the polling relay leaves it
-- alone until then (NULL: a row for the poll at once).
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS relay_after timestamptz;
