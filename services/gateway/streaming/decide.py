"""Whether a live message reaches one of a reader's streams, and as what: one pure decision (no
I/O, no awaits), taken by both of a session's paths (streaming/session.py).

``decide(stream, message, status, facts, original)`` answers with what it knows: a ``Deliver``
(the event name Mastodon gives it, and the payload to render), None (nothing for this stream),
or what it ``Needs`` to know first, always in this order: the status record, then the reader's
facts, then a reblog's original. A path gives it what it has at hand, and fetches what it needs
or leaves the message to the other path:

- ``StreamSession.ready`` (the fast path, synchronous, run as the message arrives) gives it
  only what needs no wait: a new status's record fetched for this gateway in the last moments
  (prepare_live, for ``update`` only: ``status.update`` must be read afresh), the reader's facts
  if they can be trusted now, and it delivers only payloads already rendered (deletes, and
  statuses in the gateway's RenderCache). Anything else it leaves to render(): a need, a
  conversation or a notification (the reader's own, rendered with awaits), a status not yet
  rendered.
- ``StreamSession.render`` (the slow path, per watch, in the connection's own task) fetches each
  need in turn, then renders the payload (which may still come out empty: a notification or
  status gone meanwhile is skipped).

Contract, held by tests/gateway/test_stream_decide.py: for the same message and the same
facts, what ready() delivers is what render() would; ready() otherwise answers None and
render() decides.

How the two paths differed before they shared this function (each wrote the decision out):
- ready() decided for all of a subject's watches at once; render() for one watch.
- ready() answered only deletes and ``update`` of a status at hand, not a reblog, rendered
  already, with trusted facts; it left everything else to render() (None), checking the render
  cache before the visibility (so an invisible status not yet rendered also went to render(),
  which skipped it).
- ready() checked visibility as ``policy.can_see`` and ``author in hidden``; render() through
  ``Hydrator.visible`` and ``Hydrator.without_authors``, which for a reblog also check its
  original (so ready() left reblogs to render()). The same rule for a status that is no reblog.
- ready() gave up on the whole message as soon as the reader watched ``direct`` on the subject
  (conversations are rendered per reader), even for a status that is not direct, which
  render() then skipped on that stream. Now ready() skips it there too and delivers the rest.
- Since conversations are kept by notify, the ``direct`` stream takes no status at all: its
  ``conversation`` event comes from notify's own live message, once the reader's conversation
  is written, and is rendered from it (so it equals what GET /api/v1/conversations answers).
- render() skipped a notification without an id in its fetch; decide() says so up front.
- Same in both: deletes go to every stream but ``user:notification``, conversations to
  ``direct`` only, statuses to ``user`` and ``list`` streams, and to public, hashtag and
  community streams only when public outside a community or inside one; ``public:media`` and
  ``public:local:media`` take those with attachments only.

The reader's content filters decide last (both paths hand over those learned with the facts):
a status a ``hide`` filter matches in the stream's context is not delivered; one a ``warn`` or
``blur`` filter matches goes out as the reader's own payload (``FILTERED_STATUS``: the shared
JSON with ``filtered`` in it, not a shared frame). A reader without filters is not slowed.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from typing import Any, Literal, NamedTuple

from services.gateway.hydrate import post_facts
from services.gateway.hydrate.reader_filters import ReaderFilters
from shared import policy
from shared.contracts import live
from shared.records import StatusRecord

# The reader's facts as a session trusts them: who they are to the policy, and the accounts
# hidden from them (muted, blocked, or blocking them).
Facts = tuple[policy.Viewer, Collection[int]]


class NotAtHand(enum.Enum):
    NOT_AT_HAND = "not at hand"


NOT_AT_HAND = NotAtHand.NOT_AT_HAND  # not known yet (None: known to be gone)


class Needs(enum.Enum):
    """What decide() must know before it can answer, in the order it asks."""

    STATUS = "status"  # the status record (None if it is gone)
    FACTS = "facts"  # the reader's facts
    ORIGINAL = "original"  # a reblog's original record (None if it is gone)


class Payload(enum.Enum):
    """What a delivery carries, to be rendered by the path that delivers it."""

    DELETE = "delete"  # the status's id
    STATUS = "status"  # the status's JSON, the same for every reader (RenderCache)
    # The status's shared JSON with the reader's FilterResults (``Deliver.filtered``) in it.
    FILTERED_STATUS = "filtered status"
    CONVERSATION = "conversation"  # the reader's own conversation, as notify keeps it
    NOTIFICATION = "notification"  # the reader's notification, fetched from notify


class Deliver(NamedTuple):
    event: str  # as Mastodon names it: update, status.update, delete, conversation, notification
    payload: Payload
    filtered: list[dict[str, Any]] | None = None  # FILTERED_STATUS: the FilterResults

    @property
    def shared(self) -> bool:
        """The payload is the same for every reader (its frame can be cached)."""
        return self.payload is Payload.DELETE or self.payload is Payload.STATUS


Verdict = Deliver | Needs | None

# The public streams that carry statuses with attachments only (Mastodon's only_media).
MEDIA_STREAMS = frozenset({"public:media", "public:local:media"})

_DELETE = Deliver("delete", Payload.DELETE)
_UPDATE = Deliver("update", Payload.STATUS)
_CONVERSATION = Deliver("conversation", Payload.CONVERSATION)
_NOTIFICATION = Deliver("notification", Payload.NOTIFICATION)


def filter_context(stream: str) -> str:
    """The content filters' context of a stream, as Mastodon's: home for the user's own and
    list streams, public for the network's, hashtags' and communities'."""
    return "home" if stream in ("user", "list") else "public"


def decide(stream: str, message: live.LiveMessage,
           status: StatusRecord | None | Literal[NotAtHand.NOT_AT_HAND] = NOT_AT_HAND,
           facts: Facts | None = None,
           original: StatusRecord | None | Literal[NotAtHand.NOT_AT_HAND] = NOT_AT_HAND,
           filters: ReaderFilters | None = None) -> Verdict:
    """``message`` on the reader's ``stream``, with the status it names, the reader's facts and
    a reblog's original as far as they are known (see the module's docstring); ``filters``,
    the reader's content filters learned with the facts (None: none), leave out a status a
    ``hide`` filter matches and put their FilterResults in the others they match."""
    event = message.event
    if event == "notification":
        if stream not in ("user", "user:notification") or message.notification_id is None:
            return None
        return _NOTIFICATION
    if event == "conversation":
        # notify's, on the participant's own subject once it has written the conversation:
        # rendered from it as the REST API shows it (application/conversations.py).
        if stream != "direct" or message.conversation_id is None:
            return None
        return _CONVERSATION
    if stream == "user:notification" or message.status_id is None:
        return None
    if event == "delete":
        return _DELETE
    if stream == "direct":
        return None  # a direct status comes to it as its conversation (above), nothing else
    if status is NOT_AT_HAND:
        return Needs.STATUS
    if status is None:
        return None  # gone
    if facts is None:
        return Needs.FACTS
    viewer, hidden = facts
    # Visibility at delivery: the policy, and the reader's blocks and mutes, as of now; a
    # reblog needs both itself and its original visible, and neither author hidden.
    facts_of_post = post_facts(status)
    if not policy.can_see(facts_of_post, viewer) or status.account_id in hidden:
        return None
    if status.reblog_of_id is not None:
        if original is NOT_AT_HAND:
            return Needs.ORIGINAL
        if (original is None or not policy.can_see(post_facts(original), viewer)
                or original.account_id in hidden):
            return None
    if stream not in ("user", "list") and not (
            policy.in_public_timeline(facts_of_post) or status.community_id):
        return None  # only public posts on public, hashtag and community streams
    if stream in MEDIA_STREAMS and not status.media:
        return None  # public:media: statuses with attachments only
    if filters is not None:
        judged = filters.judge(status, original if isinstance(original, StatusRecord) else None,
                               filter_context(stream))
        if judged.hide:
            return None
        if judged.results:
            return Deliver(event, Payload.FILTERED_STATUS, judged.results)
    return _UPDATE if event == "update" else Deliver(event, Payload.STATUS)
