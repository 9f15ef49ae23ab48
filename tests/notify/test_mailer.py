"""notify's mail channel against a real SMTP server (tests/helpers/mailbox.py): every template
arrives; TLS is verified; a password is checked; a server that is down, untrusted or refusing
the password holds the message until it can take it; a redelivered event sends once; with no
SMTP the message is a file and a log line. Events are published to JetStream as graph's outbox
relay would."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
from collections.abc import AsyncIterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import msgspec
import pytest
import trustme
from nats.js import JetStreamContext

from services.notify.mailer import Mailer
from services.notify.mailer.mailer import MAIL
from shared import bus, consumers, db, events, subjects
from shared.nats_users import OPERATOR
from shared.settings import Settings
from tests.helpers.mailbox import Mailbox, link_in, text_of

_names = itertools.count()


class MailEnv:
    def __init__(self, settings: Settings, pool: Any, js: JetStreamContext,
                 folder: Path) -> None:
        self.settings, self.pool, self.js, self.folder = settings, pool, js, folder

    @contextlib.asynccontextmanager
    async def mailer(self, smtp_url: str, *, durable: str | None = None,
                     keep: bool = False, **options: Any) -> AsyncIterator[Mailer]:
        """A mailer of its own (its own durable, so the stack's notify-mail takes nothing from
        it), deleted afterwards unless ``keep`` (a second mailer takes over its events)."""
        settings = msgspec.structs.replace(self.settings, smtp_url=smtp_url,
                                           data_dir=str(self.folder))
        name = durable or f"mail-test-{next(_names)}"
        mailer = Mailer(settings, self.pool, self.js, durable=name, **options)
        await mailer.start()
        try:
            yield mailer
        finally:
            await mailer.stop()
            if not keep:
                with contextlib.suppress(Exception):
                    await self.js.delete_consumer(subjects.EVENTS_STREAM, name)

    async def publish(self, event: events.MailRequested, msg_id: str | None = None) -> None:
        await self.js.publish(subjects.event(event.type), events.encode(event),
                              headers={"Nats-Msg-Id": msg_id or str(event.id)})

    async def wait_idle(self, mailer: Mailer, timeout: float = 10) -> None:
        await consumers.wait_consumers_idle(self.js, [mailer.durable], timeout=timeout)


@pytest.fixture
async def mail(settings: Settings, tmp_path: Path) -> AsyncIterator[MailEnv]:
    await db.migrate_all(settings)
    pool = await db.create_pool(settings.for_service("notify"), "notify")
    nc = await bus.connect(settings, "mailer-tests", user=OPERATOR, attempts=3)
    js = nc.jetstream()
    await bus.ensure_stream(js, settings)
    try:
        yield MailEnv(settings, pool, js, tmp_path)
    finally:
        await nc.drain()
        await pool.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def ca_file(ca: trustme.CA, folder: Path, name: str = "ca.pem") -> str:
    path = folder / name
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def address(label: str) -> str:
    return f"{label}-{next(_names)}@acme.test"


def confirm(to: str, link: str = "https://hubbub.test/auth/confirm?token=abc") -> (
        events.MailRequested):
    return events.MailRequested(to=to, template="confirm_email",
                                params={"link": link, "network": "Acme"})


TEMPLATES = {
    "confirm_email": ({"link": "https://h.test/confirm?t=1", "network": "Acme & Co"},
                      "Confirm your e-mail address for Acme & Co"),
    "already_registered": ({"link": "https://h.test/sign-in"}, "Your account on"),
    "invitation": ({"link": "https://h.test/invite?t=2", "network": "Acme", "role": "admin"},
                   "You are invited to join Acme"),
    "approved": ({"link": "https://h.test/sign-in", "network": "Acme"}, "Welcome to Acme"),
    "rejected": ({"network": "Acme"}, "Your request to join Acme"),
}


async def test_every_template_arrives_with_its_link(mail: MailEnv) -> None:
    mailbox = Mailbox()
    await mailbox.start()
    try:
        async with mail.mailer(mailbox.url):
            sent = {}
            for template, (params, _subject) in TEMPLATES.items():
                event = events.MailRequested(to=address(template), template=template,
                                             params=params)
                sent[template] = event
                await mail.publish(event)
            for template, (params, subject) in TEMPLATES.items():
                event = sent[template]
                # (the mailer first works through the session's earlier mails: a few hundred)
                message = await mailbox.wait_for(event.to, timeout=20, subject_contains=subject)
                assert message["From"] == f"Hubbub <noreply@{mail.settings.instance_domain}>"
                assert message["Message-ID"] == (
                    f"<mail.{event.id}@{mail.settings.instance_domain}>")
                if "link" in params:
                    assert link_in(message) == params["link"]
                else:
                    assert "http" not in text_of(message)
                html = message.get_body(preferencelist=("html",))
                assert html is not None
                if template == "confirm_email":  # escaped in HTML, as written in text
                    assert "Acme &amp; Co" in html.get_content()
                    assert "Acme & Co" in text_of(message)
    finally:
        await mailbox.stop()


async def test_implicit_tls_verified_against_a_private_ca(mail: MailEnv, ca: trustme.CA,
                                                          tmp_path: Path) -> None:
    mailbox = Mailbox(tls=server_tls(ca), implicit_tls=True)
    await mailbox.start()
    try:
        async with mail.mailer(f"{mailbox.url}?ca_file={ca_file(ca, tmp_path)}"):
            event = confirm(address("smtps"))
            await mail.publish(event)
            await mailbox.wait_for(event.to)
    finally:
        await mailbox.stop()


async def test_starttls_and_auth(mail: MailEnv, ca: trustme.CA, tmp_path: Path) -> None:
    """STARTTLS checked against the test CA, then AUTH: the message arrives. A wrong password
    holds it (logged, nothing sent, not acknowledged); the right one, on the same consumer,
    sends it."""
    mailbox = Mailbox(tls=server_tls(ca), logins={"mailer@acme.test": "pa ss:w@rd"})
    await mailbox.start()
    trusted = f"ca_file={ca_file(ca, tmp_path)}"
    right = f"smtp://mailer%40acme.test:pa%20ss%3Aw%40rd@127.0.0.1:{mailbox.port}?{trusted}"
    wrong = f"smtp://mailer%40acme.test:nope@127.0.0.1:{mailbox.port}?{trusted}"
    try:
        async with mail.mailer(right + "&starttls=required"):
            event = confirm(address("auth"))
            await mail.publish(event)
            await mailbox.wait_for(event.to)

        durable = f"mail-test-auth-{next(_names)}"
        held = confirm(address("held-auth"))
        async with mail.mailer(wrong, durable=durable, keep=True, ack_wait_s=2):
            await mail.publish(held)
            await _until(lambda: mailbox.auth_failures >= 1)
            await asyncio.sleep(0.5)
            assert mailbox.to(held.to) == []
            info = await mail.js.consumer_info(subjects.EVENTS_STREAM, durable)
            assert info.num_ack_pending >= 1  # held, not acknowledged
        async with mail.mailer(right, durable=durable, ack_wait_s=2):
            await mailbox.wait_for(held.to, timeout=10)
    finally:
        await mailbox.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # (the point)
async def test_no_password_without_tls(mail: MailEnv) -> None:
    """A server that offers no STARTTLS but takes AUTH in the clear gets no password: the
    message is held (the operator fixes the server or the URL), nothing is sent."""
    mailbox = Mailbox(logins={"mailer": "secret"}, plain_auth=True)
    await mailbox.start()
    event = confirm(address("cleartext"))
    try:
        async with mail.mailer(f"smtp://mailer:secret@127.0.0.1:{mailbox.port}") as mailer:
            await mail.publish(event)
            await asyncio.sleep(1.5)
            assert mailbox.auth_attempts == 0 and mailbox.to(event.to) == []
            assert not await mailer.idle()
    finally:
        await mailbox.stop()


async def test_an_untrusted_certificate_holds_the_message(mail: MailEnv, ca: trustme.CA,
                                                          tmp_path: Path) -> None:
    mailbox = Mailbox(tls=server_tls(ca))
    await mailbox.start()
    other = ca_file(trustme.CA(), tmp_path, "other-ca.pem")
    durable = f"mail-test-ca-{next(_names)}"
    event = confirm(address("untrusted"))
    try:
        # Without ca_file the system's store is used: the test CA is not in it either.
        async with mail.mailer(f"{mailbox.url}?ca_file={other}", durable=durable, keep=True,
                               ack_wait_s=2):
            await mail.publish(event)
            await asyncio.sleep(1.5)
            assert mailbox.to(event.to) == []
            info = await mail.js.consumer_info(subjects.EVENTS_STREAM, durable)
            assert info.num_ack_pending >= 1
        async with mail.mailer(f"{mailbox.url}?ca_file={ca_file(ca, tmp_path)}",
                               durable=durable, ack_wait_s=2):
            await mailbox.wait_for(event.to, timeout=10)
    finally:
        await mailbox.stop()


async def test_starttls_required_refuses_a_server_without_it(mail: MailEnv) -> None:
    mailbox = Mailbox()  # no STARTTLS offered
    await mailbox.start()
    event = confirm(address("plain"))
    try:
        async with mail.mailer(f"{mailbox.url}?starttls=required") as mailer:
            await mail.publish(event)
            await asyncio.sleep(1.5)
            assert mailbox.to(event.to) == []
            assert not await mailer.idle()
        async with mail.mailer(mailbox.url):  # plain is fine when not required
            await mailbox.wait_for(event.to)
    finally:
        await mailbox.stop()


async def test_a_server_down_when_the_event_arrives(mail: MailEnv) -> None:
    mailbox = Mailbox()  # its port is free: connections are refused until it starts
    event = confirm(address("later"))
    async with mail.mailer(mailbox.url):
        await mail.publish(event)
        await asyncio.sleep(2)
        await mailbox.start()
        try:
            message = await mailbox.wait_for(event.to, timeout=15)
            assert link_in(message) == event.params["link"]
        finally:
            await mailbox.stop()


async def test_a_redelivered_event_sends_once(mail: MailEnv) -> None:
    mailbox = Mailbox()
    await mailbox.start()
    event = confirm(address("once"))
    try:
        async with mail.mailer(mailbox.url) as mailer:
            # Two copies of one event (a relay that published again past the duplicate window),
            # handled side by side, and a third after the first was sent.
            await mail.publish(event, msg_id=f"{event.id}-a")
            await mail.publish(event, msg_id=f"{event.id}-b")
            await mailbox.wait_for(event.to)
            await mail.wait_idle(mailer)
            await mail.publish(event, msg_id=f"{event.id}-c")
            await mail.wait_idle(mailer)
            assert len(mailbox.to(event.to)) == 1
    finally:
        await mailbox.stop()


async def test_a_refused_recipient_is_dropped_and_counted(mail: MailEnv) -> None:
    refused = address("nobody")
    mailbox = Mailbox(reject={refused})
    await mailbox.start()
    before = MAIL.labels("refused")._value.get()
    try:
        async with mail.mailer(mailbox.url) as mailer:
            await mail.publish(confirm(refused))
            after = confirm(address("next"))
            await mail.publish(after)
            await mailbox.wait_for(after.to)  # the consumer goes on
            await mail.wait_idle(mailer)  # the refused one acknowledged, not held
            assert mailbox.to(refused) == []
            assert MAIL.labels("refused")._value.get() == before + 1
    finally:
        await mailbox.stop()


async def test_an_event_missing_its_link_is_dropped(mail: MailEnv) -> None:
    mailbox = Mailbox()
    await mailbox.start()
    try:
        async with mail.mailer(mailbox.url) as mailer:
            broken = events.MailRequested(to=address("broken"), template="confirm_email",
                                          params={"network": "Acme"})
            await mail.publish(broken)
            scripted = events.MailRequested(
                to=address("scheme"), template="approved",
                params={"network": "Acme", "link": "javascript:alert(1)"})
            await mail.publish(scripted)
            good = confirm(address("good"))
            await mail.publish(good)
            await mailbox.wait_for(good.to)
            await mail.wait_idle(mailer)  # acknowledged, not held nor retried
            assert mailbox.to(broken.to) == [] and mailbox.to(scripted.to) == []
    finally:
        await mailbox.stop()


async def test_without_smtp_a_file_and_a_log_line(mail: MailEnv,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    event = confirm(address("local"), link="https://hubbub.test/auth/confirm?token=local")
    path = mail.folder / "mail" / f"{event.id}.eml"
    with caplog.at_level(logging.INFO, logger="services.notify.mailer"):
        async with mail.mailer("") as mailer:
            await mail.publish(event)
            await mail.publish(event, msg_id=f"{event.id}-again")
            await mail.wait_idle(mailer)
    assert path.is_file()
    lines = [r.getMessage() for r in caplog.records if str(path) in r.getMessage()]
    assert len(lines) == 1, lines  # the redelivered copy wrote and logged nothing again
    assert event.to in lines[0] and "Confirm your e-mail address" in lines[0]
    assert event.params["link"] in lines[0]
    saved = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(saved, EmailMessage)
    assert saved["To"] == event.to and link_in(saved) == event.params["link"]


async def test_the_notify_service_runs_the_mailer(stack: Any) -> None:
    """The stack's notify (no SMTP configured) takes MailRequested on its own consumer, as its
    own NATS user: the file appears under its data folder."""
    event = confirm(address("stack"))
    await bus.publish_event(stack.js, event)
    path = Path(stack.settings.data_dir) / "mail" / f"{event.id}.eml"
    await _until(path.is_file, timeout=10)


async def _until(condition: Any, timeout: float = 5) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
