-- Outgoing webhooks (services/notify/webhooks/): a URL an admin subscribed to events, of one
-- community (community_id) or of the whole network (community_id NULL).
-- ``sealed_secret`` is the signing secret (whsec_...), sealed with a key derived from the VAPID
-- private key (shared/vapid.py, as push_subscriptions.sealed_token): a copy of the database
-- alone does not reveal it. After a rotation the previous secret also signs until
-- ``previous_until`` (partners switch over without a gap).
CREATE TABLE webhooks (
    id bigint PRIMARY KEY,
    network_id bigint NOT NULL,
    community_id bigint,
    created_by bigint NOT NULL,       -- the admin who made it: told when it is disabled
    url text NOT NULL,
    events text[] NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    disabled_reason text,
    sealed_secret bytea NOT NULL,
    sealed_previous bytea,
    previous_until timestamptz,
    dead_streak integer NOT NULL DEFAULT 0,  -- deliveries dead-lettered since the last success
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_by_network ON webhooks (network_id) WHERE community_id IS NULL;
CREATE INDEX webhooks_by_community ON webhooks (community_id);

-- One row per (event, webhook): the event's delivery to that endpoint, whatever the number of
-- attempts (its id is the ``webhook-id`` header, the same across retries and replays). The body
-- is rendered once, when the event is matched: retries and replays send the same bytes.
-- ``due_at`` is when a sender may next claim it (pending), or NULL (delivered or dead).
CREATE TABLE webhook_deliveries (
    id bigint PRIMARY KEY,
    webhook_id bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id bigint NOT NULL,
    type text NOT NULL,
    body bytea NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    due_at timestamptz,
    retry_until timestamptz NOT NULL,
    last_status integer,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, webhook_id, type)  -- a status event makes status.created and mention.created
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_of_webhook ON webhook_deliveries (webhook_id, id);

-- Every attempt, for the admin's delivery log.
CREATE TABLE webhook_attempts (
    id bigint PRIMARY KEY,
    delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    webhook_id bigint NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    ok boolean NOT NULL,
    status_code integer,
    latency_ms integer NOT NULL,
    error text,
    response text
);
CREATE INDEX webhook_attempts_of_webhook ON webhook_attempts (webhook_id, id);
CREATE INDEX webhook_attempts_of_delivery ON webhook_attempts (delivery_id);
