-- Grouped notifications (Mastodon 4.3's /api/v2/notifications) and the filtering policy with its
-- notification requests.

-- A favourite, reblog or follow carries its group: "<type>[-<status id>]-<hour bucket>", the
-- bucket reused while the group spans under 12 hours (Mastodon's set_group_key!). A filtered
-- notification is kept but left out of the list, the counts and the stream until its sender's
-- request is accepted.
ALTER TABLE notifications ADD COLUMN group_key text;
ALTER TABLE notifications ADD COLUMN filtered boolean NOT NULL DEFAULT false;

-- Notifications from before this migration join 12-hour-aligned groups: the sliding window
-- cannot be replayed afterwards, and aligned buckets are what it amounts to for history.
UPDATE notifications SET group_key = concat_ws('-', type, status_id::text,
        ((floor(extract(epoch FROM created_at) / 43200) * 12)::bigint)::text)
    WHERE type IN ('favourite', 'reblog', 'follow')
      AND (type = 'follow' OR status_id IS NOT NULL);

-- A group's members, newest first: the grouped page's "is there a newer one?" probe, its counts
-- and sample accounts, and the next notification's bucket lookup.
CREATE INDEX notifications_by_group ON notifications (account_id, group_key, id DESC)
    WHERE group_key IS NOT NULL AND dismissed_at IS NULL;
-- A sender's filtered notifications (a request's count, its last status, accepting, dismissing).
CREATE INDEX notifications_filtered ON notifications (account_id, from_account_id, id DESC)
    WHERE filtered AND dismissed_at IS NULL;

-- One policy per account that changed it; an account without a row has the defaults (the
-- columns' defaults are Mastodon 4.3's: private mentions from strangers are filtered).
CREATE TABLE notification_policies (
    account_id bigint PRIMARY KEY,
    for_not_following text NOT NULL DEFAULT 'accept'
        CHECK (for_not_following IN ('accept', 'filter', 'drop')),
    for_not_followers text NOT NULL DEFAULT 'accept'
        CHECK (for_not_followers IN ('accept', 'filter', 'drop')),
    for_new_accounts text NOT NULL DEFAULT 'accept'
        CHECK (for_new_accounts IN ('accept', 'filter', 'drop')),
    for_private_mentions text NOT NULL DEFAULT 'filter'
        CHECK (for_private_mentions IN ('accept', 'filter', 'drop')),
    for_limited_accounts text NOT NULL DEFAULT 'filter'
        CHECK (for_limited_accounts IN ('accept', 'filter', 'drop')),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Senders whose request the account accepted: never filtered again.
CREATE TABLE notification_permissions (
    account_id bigint NOT NULL,
    from_account_id bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, from_account_id)
);

-- A request per sender with filtered notifications. Its count, last status and update time are
-- read from those notifications, so an unfavourite or a deleted status never leaves it stale.
CREATE TABLE notification_requests (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL,
    from_account_id bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, from_account_id)
);
CREATE INDEX notification_requests_by_account ON notification_requests (account_id, id DESC);
