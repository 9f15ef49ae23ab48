"""How a rendered message leaves: over SMTP (``SmtpTransport``), or, with no SMTP configured
(a local trial), into ``<data_dir>/mail/<event id>.eml`` and the log (``MailDrop``).

What a failure means decides what happens to the event:
- the server is away, slow, refuses us (4xx, a failed TLS check, a refused password, a server
  that will not do STARTTLS when we need it): ``MailServerAway``, an outage. The consumer holds
  the event and tries again with backoff, its deliveries unspent (shared/consumers.py), so
  nothing is lost while the operator fixes the server or the settings;
- the server refuses this recipient or this message for good (5xx to RCPT TO or DATA):
  ``MailRefused``. Trying again would get the same answer: logged, counted, acknowledged.
"""

from __future__ import annotations

import logging
import os
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from services.notify.mailer.smtp_url import SmtpTarget
from shared import errors

log = logging.getLogger(__name__)

SMTP_TIMEOUT_S = 30.0


class MailServerAway(errors.Unavailable):
    """The mail server cannot take the message now (an outage to wait out, see above)."""


class MailRefused(Exception):
    """The server refused this message for good (a 5xx for its recipient or its content)."""

    def __init__(self, code: int, reply: str) -> None:
        super().__init__(f"{code} {reply}")
        self.code = code


def _permanent(code: int) -> bool:
    return 500 <= code < 600


class SmtpTransport:
    def __init__(self, target: SmtpTarget) -> None:
        self.target = target
        self._tls = target.tls_context()  # built once: reading the CA file is not free

    async def send(self, message: EmailMessage) -> None:
        target = self.target
        # None: STARTTLS when the server offers it; True: refuse a server that does not;
        # False with smtps://, which is TLS from the start.
        start_tls: bool | None = None
        if target.implicit_tls:
            start_tls = False
        elif target.starttls_required:
            start_tls = True
        smtp = aiosmtplib.SMTP(
            hostname=target.host, port=target.port, use_tls=target.implicit_tls,
            start_tls=start_tls, tls_context=self._tls, timeout=SMTP_TIMEOUT_S,
        )
        try:
            await smtp.connect()
            if target.username is not None:
                if smtp.get_transport_info("sslcontext") is None:
                    raise MailServerAway(f"{target} offers no STARTTLS: the password is only "
                                         "sent over TLS")
                await smtp.login(target.username, target.password or "")
            await smtp.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            if codes and all(_permanent(code) for code in codes):
                raise MailRefused(codes[0], exc.recipients[0].message) from None
            raise MailServerAway(f"{target}: recipient deferred: {exc}") from None
        except aiosmtplib.SMTPDataError as exc:
            if _permanent(exc.code):
                raise MailRefused(exc.code, exc.message) from None
            raise MailServerAway(f"{target}: message deferred: {exc}") from None
        except MailServerAway:
            raise
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Refused connection, timeout, TLS verification, AUTH refused, sender refused,
            # STARTTLS missing: the server or our settings, not this message.
            raise MailServerAway(f"{target}: {type(exc).__name__}: {exc}") from None
        finally:
            if smtp.is_connected:
                try:
                    await smtp.quit()
                except (aiosmtplib.SMTPException, OSError):
                    smtp.close()


class MailDrop:
    """No SMTP server: each message becomes ``<folder>/<event id>.eml`` (RFC 5322, what a mail
    client opens), and a log line names it with its link, so a person trying Hubbub locally
    can follow it. Only here is a link logged: over SMTP it goes to its recipient alone."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, event_id: int) -> Path:
        return self.folder / f"{int(event_id)}.eml"  # an int: no outside text in the path

    def has(self, event_id: int) -> bool:
        return self.path_for(event_id).exists()

    def write(self, event_id: int, message: EmailMessage, link: str | None) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path_for(event_id)
        # Written whole or not at all: a crash mid-write leaves no half message to skip later.
        partial = path.with_suffix(".eml.partial")
        partial.write_bytes(message.as_bytes())
        os.replace(partial, path)
        log.info("mail for %s, %r: %s%s", message["To"], message["Subject"], path,
                 f" (link: {link})" if link else "")
        return path
