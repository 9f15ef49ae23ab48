-- The W3C trace context of the write that made the event (NULL unless tracing is on):
-- the outbox relay publishes it in the message's headers (shared/tracing.py).
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS traceparent text;
