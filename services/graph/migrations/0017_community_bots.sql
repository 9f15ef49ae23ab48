-- Each community that takes outside posts (inbound feeds, incoming webhooks) gets a bot account
-- of its own, made on first need: the author those posts show (services/graph/use_cases/
-- community_bot.py). NULL until then.
ALTER TABLE communities ADD COLUMN bot_account_id bigint REFERENCES accounts (id);
