"""streaming/decide.py: whether a live message reaches a reader's stream, and as what, table-driven;
and the session's two paths held to it.

Every row below was checked against ``decide``: notifications go to ``user`` and
``user:notification`` only; deletes to every stream but ``user:notification``; a status the reader
may see (the policy, and neither author nor a reblog's original author hidden) goes to ``user`` and
``list``, to public, hashtag and community streams only when public outside a community or
inside one, and never to ``direct``, which takes notify's ``conversation`` messages only.

The contract between the paths (StreamSession.ready, the fast one, and StreamSession.render):
for the same message and the same facts, ready() delivers exactly what render() delivers on the
same watches, in the same order, or answers None and leaves the message to render(). It answers
None when something is not at hand (the status not fetched lately, or not yet rendered, or the
reader's facts not trusted now, a reblog's original), or when a delivery is the reader's own (a
conversation, a notification); it never answers None for a delete, nor for an ``update`` of a
status at hand and rendered, with trusted facts, that is no reblog and no conversation.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import msgspec
import pytest

from services.gateway.streaming.decide import NOT_AT_HAND, Deliver, Needs, Payload, decide
from services.gateway.streaming.frames import Delivery
from services.gateway.streaming.session import StreamSession, Watch
from services.gateway.streaming.shared_statuses import RenderCache, StatusFetches
from shared.contracts.live import LiveMessage
from shared.policy import DIRECT, PRIVATE, PUBLIC, UNLISTED, Viewer
from shared.records import MediaRecord, StatusRecord

NETWORK, OTHER_NETWORK = 10, 20
COMMUNITY = 99
READER, AUTHOR, REBLOGGER = 1, 2, 3

STREAMS = ("user", "user:notification", "public", "public:local", "hashtag", "hashtag:local",
           "list", "direct", "community")


def status(visibility: str = PUBLIC, *, id: int = 100, author: int = AUTHOR,
           community_id: int | None = None, reblog_of_id: int | None = None,
           mentions: tuple[int, ...] = ()) -> StatusRecord:
    return StatusRecord(id=id, account_id=author, network_id=NETWORK, text="t",
                        content_html="<p>t</p>", visibility=visibility, created_at=0,
                        community_id=community_id, reblog_of_id=reblog_of_id, mentions=mentions)


ORIGINAL = status(id=50)  # AUTHOR's public post, reblogged by REBLOGGER below
STATUSES = {
    "public": status(),
    "unlisted": status(UNLISTED),
    "private": status(PRIVATE),
    "direct": status(DIRECT, mentions=(READER,)),
    "community": status(community_id=COMMUNITY),
    "private community": status(PRIVATE, community_id=COMMUNITY),
    "reblog": status(id=101, author=REBLOGGER, reblog_of_id=ORIGINAL.id),
}

# The reader's situations: (Viewer, hidden). Graph lists a blocked account in both.
FOLLOWER = Viewer(account_id=READER, network_id=NETWORK, following=frozenset({AUTHOR, REBLOGGER}),
                  communities=frozenset({COMMUNITY}))
SITUATIONS = {
    "follower": (FOLLOWER, set()),
    "not following": (Viewer(account_id=READER, network_id=NETWORK,
                             communities=frozenset({COMMUNITY})), set()),
    "muted author": (FOLLOWER, {AUTHOR}),
    "blocked": (msgspec.structs.replace(FOLLOWER, blocked=frozenset({AUTHOR})), {AUTHOR}),
    "muted reblogger": (FOLLOWER, {REBLOGGER}),
    "other network": (Viewer(account_id=READER, network_id=OTHER_NETWORK), set()),
    "not a member": (msgspec.structs.replace(FOLLOWER, communities=frozenset()), set()),
}

# Streams in the tables' columns: user, user:notification, public, public:local, hashtag,
# hashtag:local, list, direct, community.
# Verdicts in short: U a status (update), E a status (status.update), D a delete, C a
# conversation, N a notification, - nothing, and what decide() needs first: ?S the status,
# ?F the reader's facts, ?O a reblog's original.
CODES = {
    "U": Deliver("update", Payload.STATUS), "E": Deliver("status.update", Payload.STATUS),
    "D": Deliver("delete", Payload.DELETE), "C": Deliver("conversation", Payload.CONVERSATION),
    "N": Deliver("notification", Payload.NOTIFICATION), "-": None,
    "?S": Needs.STATUS, "?F": Needs.FACTS, "?O": Needs.ORIGINAL,
}


def verdicts(row: str) -> dict[str, Deliver | Needs | None]:
    return dict(zip(STREAMS, (CODES[code] for code in row.split()), strict=True))


# --- before the status is known -------------------------------------------------------------

#                                               user  un  pub  pl  tag  tl  list  dir  com
MESSAGES = {
    "delete":                                  "D     -   D    D   D    D   D     D    D",
    "delete without an id":                    "-     -   -    -   -    -   -     -    -",
    "notification":                            "N     N   -    -   -    -   -     -    -",
    "notification without an id":              "-     -   -    -   -    -   -     -    -",
    "update":                                  "?S    -   ?S   ?S  ?S   ?S  ?S    -    ?S",
    "status.update":                           "?S    -   ?S   ?S  ?S   ?S  ?S    -    ?S",
    "update without an id":                    "-     -   -    -   -    -   -     -    -",
    "conversation":                            "-     -   -    -   -    -   -     C    -",
    "conversation without an id":              "-     -   -    -   -    -   -     -    -",
}


def message(kind: str) -> LiveMessage:
    event = kind.split(" without")[0]
    has_id = "without" not in kind
    if event == "notification":
        return LiveMessage(event=event, notification_id=7 if has_id else None)
    if event == "conversation":  # notify's: the conversation, and its last status
        return LiveMessage(event=event, conversation_id=7 if has_id else None, status_id=100)
    return LiveMessage(event=event, status_id=100 if has_id else None)


@pytest.mark.parametrize("kind", MESSAGES)
def test_what_each_message_needs_first(kind: str) -> None:
    for stream, expected in verdicts(MESSAGES[kind]).items():
        assert decide(stream, message(kind)) == expected, (kind, stream)


def test_a_status_gone_reaches_no_one_and_facts_come_next() -> None:
    for stream in STREAMS:
        assert decide(stream, message("update"), None, SITUATIONS["follower"]) is None
        expected = None if stream in ("user:notification", "direct") else Needs.FACTS
        assert decide(stream, message("update"), STATUSES["public"]) == expected


# --- a status, by the reader's situation ----------------------------------------------------

# (status, situation) -> verdicts of an update; the reblog's original is visible and given.
#                                               user  un  pub  pl  tag  tl  list  dir  com
UPDATES = {
    ("public", "follower"):                    "U     -   U    U   U    U   U     -    U",
    ("public", "not following"):               "U     -   U    U   U    U   U     -    U",
    ("public", "muted author"):                "-     -   -    -   -    -   -     -    -",
    ("public", "blocked"):                     "-     -   -    -   -    -   -     -    -",
    ("public", "other network"):               "-     -   -    -   -    -   -     -    -",
    ("unlisted", "follower"):                  "U     -   -    -   -    -   U     -    -",
    ("unlisted", "not following"):             "U     -   -    -   -    -   U     -    -",
    ("unlisted", "other network"):             "-     -   -    -   -    -   -     -    -",
    ("private", "follower"):                   "U     -   -    -   -    -   U     -    -",
    ("private", "not following"):              "-     -   -    -   -    -   -     -    -",
    ("private", "muted author"):               "-     -   -    -   -    -   -     -    -",
    ("direct", "not following"):               "U     -   -    -   -    -   U     -    -",
    ("direct", "other network"):               "U     -   -    -   -    -   U     -    -",
    ("direct", "blocked"):                     "-     -   -    -   -    -   -     -    -",
    ("community", "follower"):                 "U     -   U    U   U    U   U     -    U",
    ("community", "not a member"):             "-     -   -    -   -    -   -     -    -",
    ("private community", "follower"):         "U     -   U    U   U    U   U     -    U",
    ("private community", "not following"):    "-     -   -    -   -    -   -     -    -",
    ("reblog", "follower"):                    "U     -   U    U   U    U   U     -    U",
    ("reblog", "muted author"):                "-     -   -    -   -    -   -     -    -",
    ("reblog", "muted reblogger"):             "-     -   -    -   -    -   -     -    -",
    ("reblog", "blocked"):                     "-     -   -    -   -    -   -     -    -",
    ("reblog", "other network"):               "-     -   -    -   -    -   -     -    -",
}


@pytest.mark.parametrize(("kind", "situation"), UPDATES)
def test_an_update_by_the_readers_situation(kind: str, situation: str) -> None:
    found = STATUSES[kind]
    original = ORIGINAL if found.reblog_of_id else NOT_AT_HAND
    for stream, expected in verdicts(UPDATES[kind, situation]).items():
        got = decide(stream, message("update"), found, SITUATIONS[situation], original)
        assert got == expected, (kind, situation, stream)
        # An edit is decided the same way, under its own name.
        edited = decide(stream, message("status.update"), found, SITUATIONS[situation],
                        original)
        assert edited == (Deliver("status.update", Payload.STATUS) if expected == CODES["U"]
                          else expected), (kind, situation, stream)


#                                               user  un  pub  pl  tag  tl  list  dir  com
REBLOGS = {
    "original not known yet":                  "?O    -   ?O   ?O  ?O   ?O  ?O    -    ?O",
    "original gone":                           "-     -   -    -   -    -   -     -    -",
    "original private, not followed":          "-     -   -    -   -    -   -     -    -",
}


@pytest.mark.parametrize("case", REBLOGS)
def test_a_reblog_needs_its_original_visible(case: str) -> None:
    original = {"original not known yet": NOT_AT_HAND, "original gone": None,
                "original private, not followed": status(PRIVATE, id=50)}[case]
    viewer = msgspec.structs.replace(FOLLOWER, following=frozenset({REBLOGGER}))
    for stream, expected in verdicts(REBLOGS[case]).items():
        got = decide(stream, message("update"), STATUSES["reblog"], (viewer, set()), original)
        assert got == expected, (case, stream)


def test_a_reblog_not_visible_itself_needs_no_original() -> None:
    for stream in STREAMS:
        got = decide(stream, message("update"), STATUSES["reblog"], SITUATIONS["other network"])
        assert got is None, stream


@pytest.mark.parametrize(("kind", "situation"), UPDATES)
def test_media_streams_take_what_public_streams_take_with_attachments_only(
        kind: str, situation: str) -> None:
    plain = STATUSES[kind]
    with_media = msgspec.structs.replace(plain, media=(
        MediaRecord(id=5, type="image", key="media/5/abc/original.png"),))
    original = ORIGINAL if plain.reblog_of_id else NOT_AT_HAND
    facts = SITUATIONS[situation]
    for media_stream, public_stream in (("public:media", "public"),
                                        ("public:local:media", "public:local")):
        assert decide(media_stream, message("update"), plain, facts, original) is None
        assert (decide(media_stream, message("update"), with_media, facts, original)
                == decide(public_stream, message("update"), with_media, facts, original))
        assert decide(media_stream, message("delete")) == CODES["D"]


def test_shared_payloads_are_the_same_for_every_reader() -> None:
    assert [CODES[c].shared for c in "UEDCN"] == [True, True, True, False, False]


# --- ready() and render() agree with decide() -----------------------------------------------

class FakeHydrator:
    """What render() reads through the hydrator, from memory."""

    def __init__(self, records: dict[int, StatusRecord]) -> None:
        self.records = records

    async def statuses(self, ids: list[int]) -> dict[int, StatusRecord]:
        return {i: self.records[i] for i in ids if i in self.records}

    async def with_originals(self, statuses: list[StatusRecord]) -> dict[int, StatusRecord]:
        return await self.statuses([s.reblog_of_id for s in statuses if s.reblog_of_id])

    async def render_statuses(self, statuses: list[StatusRecord], viewer_id=None,
                              known=None) -> list[dict]:
        return [{"id": str(s.id)} for s in statuses]


def status_json(found: StatusRecord) -> str:
    return msgspec.json.encode({"id": str(found.id)}).decode()


def session_for(found: StatusRecord | None, situation: str, *, at_hand: bool, rendered: bool,
                trusted: bool) -> StreamSession:
    records = {ORIGINAL.id: ORIGINAL}
    if found is not None:
        records[found.id] = found
    gw = SimpleNamespace(status_fetches=StatusFetches(), render_cache=RenderCache(),
                         hydrator=FakeHydrator(records),
                         nc=SimpleNamespace(stats={"reconnects": 0}))
    if found is not None and at_hand:
        gw.status_fetches.remember(found)
    if found is not None and rendered:
        gw.render_cache.entries.put((found.id, found.version), status_json(found))
    session = StreamSession(gw, SimpleNamespace(id=READER), 8)  # type: ignore[arg-type]
    viewer, hidden = SITUATIONS[situation]

    async def learn() -> None:  # what graph would answer
        session.facts.viewer, session.facts.hidden = viewer, hidden
        session.facts.learned_at, session.facts.reconnects_learned = time.monotonic(), 0

    session.facts.learn = learn  # type: ignore[method-assign]
    if trusted:
        session.facts.viewer, session.facts.hidden = viewer, hidden
        session.facts.learned_at, session.facts.reconnects_learned = time.monotonic(), 0

    async def notification(message: LiveMessage) -> str:
        return f"notification {message.notification_id}"

    async def conversation(message: LiveMessage) -> str:
        return f"conversation {message.conversation_id}"

    session._notification = notification  # type: ignore[method-assign]
    session._conversation = conversation  # type: ignore[method-assign]
    return session


WATCH_SETS = [("user",), ("user:notification",), ("direct",), ("user", "user:notification"),
              ("user", "direct"), ("user", "user:notification", "direct"),
              ("public", "public:local"), ("hashtag", "hashtag:local"), ("list",),
              ("community",)]
AT_HAND = [  # (status fetched lately, rendered, the reader's facts trusted)
    (True, True, True), (False, True, True), (True, False, True), (True, True, False),
    (False, False, False)]
KINDS = [*MESSAGES, "gone"]


def expected_deliveries(watches: list[Watch], kind: str, found: StatusRecord | None,
                        situation: str) -> list[Delivery]:
    """What decide() says, given everything, with the payloads the fakes render."""
    out = []
    for watch in watches:
        verdict = decide(watch.stream, message(kind), found, SITUATIONS[situation],
                         ORIGINAL if found is not None and found.reblog_of_id else NOT_AT_HAND)
        assert not isinstance(verdict, Needs)
        if verdict is None:
            continue
        payload = {Payload.DELETE: "100", Payload.NOTIFICATION: "notification 7",
                   Payload.CONVERSATION: "conversation 7"}.get(verdict.payload) or status_json(
            found)
        out.append(Delivery(watch.names, verdict.event, payload, verdict.shared))
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status_kind", STATUSES)
async def test_ready_and_render_agree_with_decide(kind: str, status_kind: str) -> None:
    found = None if kind == "gone" else msgspec.structs.replace(STATUSES[status_kind], id=100)
    event_kind = "update" if kind == "gone" else kind
    live = message(event_kind)
    for streams in WATCH_SETS:
        watches = [Watch(s, None, "subject") for s in streams]
        for situation in SITUATIONS:
            for at_hand, rendered, trusted in AT_HAND:
                case = (kind, status_kind, streams, situation, at_hand, rendered, trusted)
                session = session_for(found, situation, at_hand=at_hand, rendered=rendered,
                                      trusted=trusted)
                session.watches = {(w.stream, None): w for w in watches}
                expected = expected_deliveries(watches, event_kind, found, situation)
                fast = session.ready("subject", live)
                slow = [d for w in watches if (d := await session.render(w, live)) is not None]
                assert slow == expected, case
                assert fast is None or list(fast) == expected, case
                # The fast path keeps its cases: deletes, and a plain update at hand.
                fast_case = (event_kind == "delete" and live.status_id is not None) or (
                    event_kind == "update" and live.status_id is not None
                    and found is not None and found.reblog_of_id is None
                    and at_hand and rendered and trusted
                    and all(d.shared for d in expected))
                if fast_case:
                    assert fast is not None, case
