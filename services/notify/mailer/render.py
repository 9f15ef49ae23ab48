"""A MailRequested event as the message it asks for: subject, plain text and an HTML alternative,
from the templates under ``templates/`` (one set per ``MailTemplate``).

English only for now: the event's ``locale`` is not read yet. Text templates are not escaped
(plain text); HTML templates are, so a network name cannot become markup. A template naming a
parameter the event lacks is an error (StrictUndefined), never an empty link.
"""

from __future__ import annotations

import re
import typing
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

import jinja2

from shared import events
from shared.settings import Settings

TEMPLATES = typing.get_args(events.MailTemplate)

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("services.notify.mailer", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_SPACES = re.compile(r"\s+")


class Unsendable(ValueError):
    """The event cannot become a message (a bad address, a missing or wrong parameter):
    trying again would not help."""


def sender(settings: Settings) -> str:
    return settings.mail_from or f"Hubbub <noreply@{settings.instance_domain}>"


def message_id(event: events.MailRequested, settings: Settings) -> str:
    """Derived from the event id: a message sent twice (a crash between the send and its record)
    carries the same Message-ID both times, so a receiver can drop the copy."""
    return f"<mail.{event.id}@{settings.instance_domain}>"


def render(event: events.MailRequested, settings: Settings) -> EmailMessage:
    if event.template not in TEMPLATES:  # (msgspec refuses others at decode; a second guard)
        raise Unsendable(f"no template {event.template!r}")
    link = event.params.get("link")
    if link is not None and not link.startswith(("https://", "http://")):
        raise Unsendable("the link is not an http(s) URL")
    context = {"instance": settings.instance_domain, **event.params}
    try:
        # One line, whatever a parameter holds: a header cannot be split by a newline.
        subject = _SPACES.sub(" ", _env.get_template(f"{event.template}.subject.txt")
                              .render(context)).strip()
        text = _env.get_template(f"{event.template}.txt").render(context)
        html = _env.get_template(f"{event.template}.html").render(context, subject=subject)
    except jinja2.UndefinedError as exc:
        raise Unsendable(f"template {event.template}: {exc.message}") from None
    message = EmailMessage()
    try:
        message["To"] = Address(addr_spec=event.to)
        message["From"] = sender(settings)
    except (ValueError, IndexError, TypeError) as exc:  # what the header registry raises
        raise Unsendable(f"bad address: {exc}") from None
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(event, settings)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
