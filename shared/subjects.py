"""Every NATS subject Hubbub uses, in one place.

A subject travels in the NATS protocol's control line: one too long makes the server close the
whole connection (every request and subscription of the process with it), and a ``.``, ``*``,
``>`` or space in a user-given part changes what it names. So the builders that take outside
text take it through ``hashtag``, which refuses all of that, and the others take only ints.
"""

import unicodedata

EVENTS_STREAM = "HUBBUB_EVENTS"
EVENTS_PREFIX = "hubbub.evt"
EVENTS_WILDCARD = "hubbub.evt.>"


def event(event_type: str, facets: tuple[str, ...] = ()) -> str:
    """``post.status.created`` -> ``hubbub.evt.post.status.created``, then the event's facets
    (shared/events.py ``Event.FACETS``: values of closed sets, never outside text):
    ``hubbub.evt.post.status.created.status.public.plain``."""
    return ".".join((EVENTS_PREFIX, event_type, *facets))


def service(name: str, verb: str) -> str:
    return f"hubbub.svc.{name}.{verb}"


# Hashtags as posts recognises them (services/posts/text.py): Unicode word characters, at most
# 100, not only digits.
TAG_MAX_CHARS = 100


class UnsafeToken(ValueError):
    """Outside text that may not become part of a subject; the message says why."""


def hashtag(name: str) -> str:
    """``name`` (without its ``#``) lower-cased, as the live hashtag subjects carry it, or
    UnsafeToken. Idempotent: what it returns it accepts, so the stream parameter and the subject
    builder check with the same rule."""
    lowered = name.lower()
    letters = 0
    # (Lower-casing at most doubles a tag: with the marks it adds, the subject stays short.)
    for c in lowered[:2 * TAG_MAX_CHARS + 1]:
        # A word character (the \w of posts' hashtag pattern), or a combining mark: lower-casing
        # may add one ("İ" becomes "i" and U+0307), and the lowered tag must pass again.
        if unicodedata.category(c).startswith("M"):
            continue
        if not (c.isalnum() or c == "_"):
            letters = 0
            break
        letters += 1
    if (not 0 < letters <= TAG_MAX_CHARS or len(lowered) > 2 * TAG_MAX_CHARS
            or lowered.isdigit()):
        raise UnsafeToken(f"Invalid tag: letters, digits or underscores (at most "
                          f"{TAG_MAX_CHARS}), not only digits")
    return lowered


def _id(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise UnsafeToken(f"Not an id: {value!r}")
    return value


def live_user(account_id: int) -> str:
    return f"hubbub.live.user.{_id(account_id)}"


def live_users() -> str:
    """One live message for many users at once (``shared.contracts.live.LiveBatch``): every
    gateway takes it and hands it to those of the users connected to it."""
    return "hubbub.live.users"


def live_community(community_id: int) -> str:
    return f"hubbub.live.community.{_id(community_id)}"


def live_tag(network_id: int, tag: str) -> str:
    """A hashtag's live subject in one network; UnsafeToken for a tag that ``hashtag`` refuses."""
    return f"hubbub.live.tag.{_id(network_id)}.{hashtag(tag)}"


def live_list(list_id: int) -> str:
    return f"hubbub.live.list.{_id(list_id)}"


def live_network(network_id: int) -> str:
    return f"hubbub.live.network.{_id(network_id)}"


# Core NATS (not JetStream): a revoked token's digest, so every gateway drops it from its cache.
TOKEN_REVOKED = "hubbub.gateway.token.revoked"
