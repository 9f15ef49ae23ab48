"""What creating and editing share: validating text and polls, resolving mentions, rendering."""

from __future__ import annotations

from dataclasses import dataclass

from nats.aio.client import Client as NATS

from services.posts import text
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts.posts import PollSpec
from shared.records import AccountRecord
from shared.settings import Settings

MAX_POLL_OPTIONS = 4
MAX_POLL_OPTION_CHARS = 50
MIN_POLL_EXPIRY_S = 300
MAX_POLL_EXPIRY_S = 2_629_746  # a month, as Mastodon


@dataclass
class Composed:
    body: str
    content_html: str
    mention_ids: tuple[int, ...]
    tags: tuple[str, ...]


def validate_poll(poll: PollSpec) -> list[str]:
    options = [o.strip() for o in poll.options]
    if not 2 <= len(options) <= MAX_POLL_OPTIONS:
        raise errors.Invalid(f"Validation failed: a poll needs 2 to {MAX_POLL_OPTIONS} options")
    if any(not o or len(o) > MAX_POLL_OPTION_CHARS for o in options):
        raise errors.Invalid("Validation failed: poll options must be 1 to "
                             f"{MAX_POLL_OPTION_CHARS} characters")
    if len(set(options)) != len(options):
        raise errors.Invalid("Validation failed: poll options must be different")
    if not MIN_POLL_EXPIRY_S <= poll.expires_in <= MAX_POLL_EXPIRY_S:
        raise errors.Invalid(f"Validation failed: poll expires_in must be {MIN_POLL_EXPIRY_S} to "
                             f"{MAX_POLL_EXPIRY_S} seconds")
    return options


async def compose(nc: NATS, settings: Settings, raw: str, spoiler_text: str, author_id: int,
                  *, has_more: bool) -> Composed:
    """``has_more``: a poll or attachments, with which the text may be blank."""
    body = raw.strip()
    if not body and not has_more:
        raise errors.Invalid("Validation failed: Text can't be blank")
    if text.length(body) > settings.max_status_chars:
        raise errors.Invalid(f"Validation failed: Text character limit of "
                             f"{settings.max_status_chars} exceeded")
    if len(spoiler_text) > settings.max_status_chars:
        raise errors.Invalid("Validation failed: spoiler_text is too long")
    parsed = text.parse(body)
    mentioned = await resolve_mentions(nc, parsed, author_id)
    content_html = text.render_html(
        body, base_url=settings.base_url,
        known_mentions={name: (f"{settings.base_url}/@{a.username}", a.network_domain)
                        for name, a in mentioned.items()})
    mention_ids = tuple(dict.fromkeys(a.id for a in mentioned.values() if a.id != author_id))
    return Composed(body=body, content_html=content_html, mention_ids=mention_ids,
                    tags=tuple(parsed.tags))


async def resolve_mentions(nc: NATS, parsed: text.ParsedText, author_id: int
                           ) -> dict[str, AccountRecord]:
    """The mentioned accounts the author may see: a guest cannot reach (or learn of) host
    accounts outside its communities by typing their names."""
    if not parsed.mentions:
        return {}
    reply = await bus.call(
        nc, graph_api.ACCOUNT_LOOKUP,
        graph_api.LookupAccounts(usernames=[name for name, _ in parsed.mentions]))
    visible = set((await bus.call(
        nc, graph_api.ACCOUNT_VISIBLE,
        graph_api.VisibleAccounts(reader_id=author_id, ids=[a.id for a in reply.accounts]),
    )).ids) if reply.accounts else set()
    by_name = {a.username.lower(): a for a in reply.accounts if a.id in visible}
    resolved = {}
    for name, domain in parsed.mentions:
        account = by_name.get(name.lower())
        # @user@domain names a network: it must be that account's network.
        if account and (domain is None or domain.lower() == account.network_domain):
            resolved[name.lower()] = account
    return resolved
