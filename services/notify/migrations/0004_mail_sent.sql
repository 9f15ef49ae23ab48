-- The mail notify's mailer has sent, by the MailRequested event that asked for it: a redelivered
-- event finds its row and sends nothing again (services/notify/mailer/).
CREATE TABLE mail_sent (
    event_id bigint PRIMARY KEY,
    sent_at timestamptz NOT NULL DEFAULT now()
);
