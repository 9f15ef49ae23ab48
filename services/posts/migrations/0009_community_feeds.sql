-- What flows into a community from outside (services/posts/feeds/, use_cases/community_feeds.py
-- and use_cases/incoming_webhooks.py), posted by the community's bot account (graph's
-- communities.bot_account_id; its id and network copied here when the feed or hook is added).

-- Inbound feeds (Atom, RSS, JSON Feed) a community's admin added. A poller replica leases a due
-- feed (lease_until) for one poll; the answer's validators are kept for the next conditional GET;
-- failures back the next poll off.
CREATE TABLE community_feeds (
    id bigint PRIMARY KEY,
    community_id bigint NOT NULL,
    network_id bigint NOT NULL,
    bot_account_id bigint NOT NULL,
    url text NOT NULL,
    added_by bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    interval_s integer NOT NULL,
    next_poll_at timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz,
    last_polled_at timestamptz,
    last_success_at timestamptz,
    last_error text,
    failures integer NOT NULL DEFAULT 0,
    etag text,
    last_modified text,
    seeded boolean NOT NULL DEFAULT false,  -- a first poll succeeded (its backlog skipped)
    title text NOT NULL DEFAULT '',
    items_posted integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX community_feeds_by_url ON community_feeds (community_id, md5(url));
CREATE INDEX community_feeds_due ON community_feeds (next_poll_at);

-- Every entry a feed has shown, by key (sha256 of its id/GUID, else link, else title and link):
-- inserted in the transaction that posts its status, so that no entry is posted twice whatever
-- the replicas and restarts. status_id NULL: the entry was in the backlog of the first poll.
CREATE TABLE community_feed_items (
    feed_id bigint NOT NULL REFERENCES community_feeds (id) ON DELETE CASCADE,
    entry_key text NOT NULL,
    status_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed_id, entry_key)
);

-- Incoming webhooks: a secret URL a partner's tool posts {"text": ...} to. Only the token's
-- sha256 is kept (and its first characters, to tell hooks apart in a list).
CREATE TABLE incoming_webhooks (
    id bigint PRIMARY KEY,
    community_id bigint NOT NULL,
    network_id bigint NOT NULL,
    bot_account_id bigint NOT NULL,
    name text NOT NULL DEFAULT '',
    token_hash text NOT NULL UNIQUE,
    token_prefix text NOT NULL,
    created_by bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX incoming_webhooks_by_community ON incoming_webhooks (community_id, id);
