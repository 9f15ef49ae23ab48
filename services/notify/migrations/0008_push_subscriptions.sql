-- Web Push subscriptions (Mastodon's /api/v1/push/subscription): one per access token, made
-- again replaces it. The token's id and digest come from the gateway, which owns tokens: a
-- revoked token's subscription is deleted by its digest, a deactivated account's by the
-- account (services/notify/push/). ``sealed_token`` is the access token the messages carry
-- (as Mastodon's do), sealed with a key derived from the VAPID private key (shared/vapid.py),
-- so a copy of the database alone does not reveal it.
CREATE TABLE push_subscriptions (
    id bigint PRIMARY KEY,
    token_id bigint NOT NULL UNIQUE,
    token_hash text NOT NULL,
    account_id bigint NOT NULL,
    endpoint text NOT NULL,
    p256dh bytea NOT NULL,
    auth bytea NOT NULL,
    standard boolean NOT NULL DEFAULT true,
    alerts text[] NOT NULL DEFAULT '{}',  -- the notification types it is sent
    policy text NOT NULL DEFAULT 'all' CHECK (policy IN ('all', 'followed', 'follower', 'none')),
    sealed_token bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_subscriptions_by_account ON push_subscriptions (account_id);
CREATE INDEX push_subscriptions_by_token_hash ON push_subscriptions (token_hash);

-- notify's outbox (shared/outbox.py): the push jobs a notification makes are written with it.
CREATE TABLE outbox (
    id bigint PRIMARY KEY,            -- the event id, used as Nats-Msg-Id
    subject text NOT NULL,
    payload bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
