-- Idempotency rows are now written for every status (the gateway's request key when the client
-- gave none) and deleted after a day by age, every 1,000 statuses
-- (services/posts/use_cases/post_status.py): by this index, not by reading the whole table.
CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at);
