"""A real SMTP server in the test's own event loop (aiosmtpd), keeping what it receives.

    mailbox = Mailbox()                      # a free port, known before start (mailbox.url)
    await mailbox.start()
    message = await mailbox.wait_for("ann@acme.test", subject_contains="Confirm")
    link = link_in(message)

Options: ``tls`` (an ``ssl.SSLContext`` with the server's certificate) offers STARTTLS, and
``implicit_tls=True`` speaks TLS from the first byte instead (``smtps://``); ``logins``
({user: password}) turns AUTH on (over TLS only, as aiosmtpd insists) and requires it;
``plain_auth=True`` offers AUTH without TLS too (a server a careful client must not trust with
a password); ``reject`` answers 550 to those recipients.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from shared import infra

_URL = re.compile(r"https?://[^\s<>\"']+")


class Mailbox:
    def __init__(self, *, port: int | None = None, tls: ssl.SSLContext | None = None,
                 implicit_tls: bool = False, logins: dict[str, str] | None = None,
                 plain_auth: bool = False,
                 reject: set[str] | frozenset[str] = frozenset()) -> None:
        self.host = "127.0.0.1"
        self.port = port or infra.free_port()
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.logins = logins
        self.plain_auth = plain_auth
        self.reject = {address.lower() for address in reject}
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TO) per message
        self.auth_attempts = 0
        self.auth_failures = 0
        self._arrived = asyncio.Event()
        self._server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{self.host}:{self.port}"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            return SMTP(
                _Handler(self), loop=loop, hostname="mailbox.test",
                tls_context=None if self.implicit_tls else self.tls,
                require_starttls=bool(self.tls and not self.implicit_tls),
                authenticator=self._authenticate if self.logins is not None else None,
                auth_required=self.logins is not None,
                auth_require_tls=not self.plain_auth,
            )

        self._server = await loop.create_server(
            protocol, self.host, self.port, ssl=self.tls if self.implicit_tls else None)

    async def stop(self) -> None:
        if self._server:
            self._server.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: Any) -> AuthResult:
        self.auth_attempts += 1
        if (isinstance(auth_data, LoginPassword) and self.logins is not None
                and self.logins.get(auth_data.login.decode()) == auth_data.password.decode()):
            return AuthResult(success=True)
        self.auth_failures += 1
        return AuthResult(success=False, handled=False)

    def _received(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> None:
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append((mail_from, rcpt_tos))
        self._arrived.set()

    def to(self, address: str) -> list[EmailMessage]:
        """The messages received for ``address`` (by the To: header)."""
        return [m for m in self.messages
                if address.lower() in (a.addr_spec.lower() for a in m["To"].addresses)]

    async def wait_for(self, to: str, timeout: float = 5,
                       subject_contains: str | None = None) -> EmailMessage:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for message in self.to(to):
                if subject_contains is None or subject_contains in str(message["Subject"]):
                    return message
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"no message for {to} within {timeout}s "
                                   f"({len(self.messages)} received)")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address.lower() in self.mailbox.reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        assert isinstance(content, bytes)
        self.mailbox._received(envelope.mail_from or "", list(envelope.rcpt_tos), content)
        return "250 OK"


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "no text/plain part"
    return str(body.get_content())  # type: ignore[attr-defined]


def link_in(message: EmailMessage) -> str:
    """The first http(s) URL of the message's plain-text body."""
    found = _URL.search(text_of(message))
    assert found, "no link in the message"
    return found.group(0)
