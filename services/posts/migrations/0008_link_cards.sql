-- Link preview cards (Mastodon's PreviewCard): one row per URL, fetched by the cards worker
-- (services/posts/cards/worker.py) through the SSRF guard and kept until expires_at: a URL that
-- many statuses share is fetched once a day, not once a status. A fetch that failed (refused,
-- not a page, timed out) is kept too, for less long, so that it is not retried per status.
-- The image's URL is kept but not shown (see the worker's docstring).
CREATE TABLE preview_cards (
    id bigint PRIMARY KEY,
    url text NOT NULL,
    state text NOT NULL CHECK (state IN ('ready', 'failed')),
    type text NOT NULL DEFAULT 'link' CHECK (type IN ('link', 'photo', 'video')),
    title text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    author_name text NOT NULL DEFAULT '',
    author_url text NOT NULL DEFAULT '',
    provider_name text NOT NULL DEFAULT '',
    image_url text NOT NULL DEFAULT '',
    width integer NOT NULL DEFAULT 0,
    height integer NOT NULL DEFAULT 0,
    failure text,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
-- By URL (hashed: a URL may be longer than a btree entry may be).
CREATE UNIQUE INDEX preview_cards_by_url ON preview_cards (md5(url));

-- A status's card: the card of its first link, once fetched (an update: the row's version is
-- bumped, and the cached status shows it).
ALTER TABLE statuses ADD COLUMN card_id bigint REFERENCES preview_cards (id);
CREATE INDEX statuses_by_card ON statuses (card_id, id DESC)
    WHERE card_id IS NOT NULL AND deleted_at IS NULL;

-- Trends read a network's recent public statuses (and the recent favourites, by id).
CREATE INDEX statuses_public_recent ON statuses (network_id, id DESC)
    WHERE visibility = 'public' AND community_id IS NULL AND deleted_at IS NULL;
