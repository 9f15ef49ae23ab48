-- The Web Push messages notify's pusher has sent, by the PushRequested event that asked for
-- each: a redelivered event (its ack lost with a NATS node, a consumer's replica that died
-- after sending) finds its row and sends nothing again (services/notify/push/sender.py).
CREATE TABLE push_sent (
    event_id bigint PRIMARY KEY,
    sent_at timestamptz NOT NULL DEFAULT now()
);
