"""The mail a stack without SMTP wrote to ``<data_dir>/mail/<event id>.eml`` (notify's mailer in
its local-trial mode: README), read as a person trying Hubbub locally would: the newest message
to an address, and the link in it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

LINK = re.compile(r"https?://[^\s<>\"']+")


def messages_to(data_dir: str | Path, address: str) -> list[EmailMessage]:
    """Every message written for ``address``, oldest first (file names are event ids, which
    grow with time)."""
    folder = Path(data_dir) / "mail"
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: int(p.stem)):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if address.lower() in str(message["To"]).lower():
            found.append(message)
    return found


async def wait_for_mail(data_dir: str | Path, address: str, *, after: int = 0,
                        containing: str | None = None, timeout: float = 10.0) -> EmailMessage:
    """The next message to ``address`` once more than ``after`` of them exist (with
    ``containing``: the newest whose text holds it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = messages_to(data_dir, address)
        if containing is not None:
            found = [m for m in found if containing in text_of(m)]
        if len(found) > after:
            return found[-1]
        if loop.time() > deadline:
            raise TimeoutError(f"no mail to {address} within {timeout}s")
        await asyncio.sleep(0.05)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


def link_in(message: EmailMessage) -> str:
    match = LINK.search(text_of(message))
    assert match, text_of(message)
    return match.group(0)
