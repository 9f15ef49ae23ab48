-- Statuses to publish later (Mastodon's scheduled statuses). ``params`` is the status request
-- as the posts service's contract encodes it (CreateStatus, without an idempotency key): the
-- publisher posts exactly that, through the same use case as any post. ``idempotency_key`` is
-- the client's scoped key of the scheduling request (a retried request finds its row), and
-- ``idempotency`` that key as the client sent it, shown back in the entity's params.
-- ``attempts``/``retry_at``: a publication that failed for a passing reason (a service away)
-- waits before it is tried again, so that it cannot hold up the others due.
CREATE TABLE scheduled_statuses (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL,
    scheduled_at timestamptz NOT NULL,
    params jsonb NOT NULL,
    application_id bigint,
    idempotency_key text,
    idempotency text,
    attempts integer NOT NULL DEFAULT 0,
    retry_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scheduled_statuses_by_account ON scheduled_statuses (account_id, id DESC);
CREATE INDEX scheduled_statuses_by_day ON scheduled_statuses (account_id, scheduled_at);
CREATE INDEX scheduled_statuses_due ON scheduled_statuses (scheduled_at);
CREATE UNIQUE INDEX scheduled_statuses_idempotency ON scheduled_statuses (account_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
