"""The JSON a Web Push message carries, as Mastodon sends it (Web::NotificationSerializer):
the client's service worker shows ``title`` and ``body`` at once, and may fetch the
notification with ``access_token``. English only for now (``preferred_locale``)."""

from __future__ import annotations

import html
import re

import msgspec
from nats.aio.client import Client as NATS

from services.notify.push import ece
from shared import bus, events
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api

TITLES = {
    "mention": "{name} mentioned you",
    "status": "{name} just posted",
    "reblog": "{name} boosted your post",
    "follow": "{name} is now following you",
    "follow_request": "Pending follower: {name}",
    "favourite": "{name} favorited your post",
    "poll": "A poll by {name} has ended",
    "update": "{name} edited a post",
}
BODY_CHARS = 140  # Mastodon truncates the body so
_TAGS = re.compile(r"<[^>]*>")


class Payload(msgspec.Struct, frozen=True, kw_only=True):
    access_token: str
    preferred_locale: str
    notification_id: str
    notification_type: str
    icon: str
    title: str
    body: str


def _truncate(text: str, chars: int = BODY_CHARS) -> str:
    return text if len(text) <= chars else text[:chars - 1].rstrip() + "\u2026"


async def build(nc: NATS, event: events.PushRequested, access_token: str,
                base_url: str) -> bytes:
    accounts = await bus.call(nc, graph_api.ACCOUNT_GET,
                              graph_api.GetAccounts(ids=[event.from_account_id]))
    sender = accounts.accounts[0] if accounts.accounts else None
    name = (sender.display_name or sender.username) if sender else "Someone"
    icon = (sender.avatar_url if sender and sender.avatar_url
            else f"{base_url}/avatars/original/missing.png")
    if icon.startswith("/"):
        icon = base_url + icon
    text = html.unescape(_TAGS.sub("", sender.note)) if sender else ""
    if event.status_id is not None:
        found = await bus.call(nc, posts_api.STATUS_GET,
                               posts_api.GetStatuses(ids=[event.status_id]))
        if found.statuses:
            status = found.statuses[0]
            text = status.spoiler_text or status.text
    payload = Payload(
        access_token=access_token, preferred_locale="en",
        notification_id=str(event.notification_id), notification_type=event.notification_type,
        icon=icon, title=TITLES.get(event.notification_type, "{name}").format(name=name),
        body=_truncate(text.strip()))
    encoded = msgspec.json.encode(payload)
    if len(encoded) > ece.MAX_PLAINTEXT:  # a name or icon URL of absurd length
        encoded = msgspec.json.encode(msgspec.structs.replace(payload, icon="", body=""))
    return encoded
