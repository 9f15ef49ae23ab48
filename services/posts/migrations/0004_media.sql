-- Uploaded files: attachments of statuses, and the pictures of profiles (avatars, headers)
-- until they are processed and handed to graph. Media rows belong to posts because attaching
-- is part of writing a status: the status row and its attachments change in one transaction.
--
-- A row starts ``processing`` (the upload is stored at upload_key), and the media worker
-- (services/posts/media/worker.py) makes it ``ready`` (original_key, small_key, meta, blurhash)
-- or ``failed`` (failure). ``revision`` counts the requests to process it (a new thumbnail is
-- one); ``processed_revision`` the last one done, so a redelivered event does nothing twice.
CREATE TABLE media (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL,
    purpose text NOT NULL DEFAULT 'attachment'
        CHECK (purpose IN ('attachment', 'avatar', 'header')),
    state text NOT NULL DEFAULT 'processing' CHECK (state IN ('processing', 'ready', 'failed')),
    type text NOT NULL DEFAULT 'unknown'
        CHECK (type IN ('image', 'gifv', 'video', 'audio', 'unknown')),
    status_id bigint REFERENCES statuses (id),
    position smallint,
    upload_key text NOT NULL,
    thumbnail_key text,
    original_key text,
    small_key text,
    content_type text,
    description text NOT NULL DEFAULT '',
    focus_x real CHECK (focus_x BETWEEN -1 AND 1),
    focus_y real CHECK (focus_y BETWEEN -1 AND 1),
    meta jsonb NOT NULL DEFAULT '{}',
    blurhash text,
    failure text,
    revision integer NOT NULL DEFAULT 1,
    processed_revision integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    requested_at timestamptz NOT NULL DEFAULT now(),  -- the latest revision's request
    detached_at timestamptz,  -- taken off a status (an edit, the status deleted)
    processed_at timestamptz
);
CREATE INDEX media_by_status ON media (status_id, position) WHERE status_id IS NOT NULL;
CREATE INDEX media_by_owner ON media (account_id, purpose, id DESC);
-- The orphan chore's scan: uploads not attached (never, or no longer).
CREATE INDEX media_unattached ON media ((coalesce(detached_at, created_at)))
    WHERE status_id IS NULL AND purpose = 'attachment';
