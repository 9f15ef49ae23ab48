"""KeepConversations (notify): each participant's conversations from status events, idempotent
and order-free: a redelivered event changes nothing and tells no one again, a deletion that
comes before its creation keeps the status out, and a deletion moves the last status back."""

from __future__ import annotations

import asyncio

import nats

from services.notify.conversations import store
from services.notify.use_cases.keep_conversations import KeepConversations
from shared import events, subjects
from shared.contracts import live
from shared.contracts.notify import ListConversations
from shared.ids import new_id
from shared.nats_users import operator_url
from tests.helpers import Api


def created(status_id: int, author: int, mentions: tuple[int, ...], conversation_id: int,
            *, visibility: str = "direct") -> events.StatusCreated:
    return events.StatusCreated(status_id=status_id, account_id=author, network_id=1,
                                visibility=visibility, mentions=mentions,  # type: ignore[arg-type]
                                conversation_id=conversation_id)


def deleted(event: events.StatusCreated) -> events.StatusDeleted:
    return events.StatusDeleted(status_id=event.status_id, account_id=event.account_id,
                                visibility=event.visibility, mentions=event.mentions)


async def rows(api: Api, *accounts: int) -> list[tuple]:
    """The accounts' conversations as listed, and every row kept for them (removed too)."""
    async with api.stack.notify.pool.acquire() as conn:
        found: list[tuple] = []
        for account in accounts:
            page = await store.page(conn, ListConversations(account_id=account, limit=40))
            found += [(c.account_id, c.id, c.unread, c.last_status_id, c.participant_ids,
                       c.recent_status_ids) for c in page]
        kept = await conn.fetch(
            "SELECT account_id, conversation_id, removed FROM conversations "
            "WHERE account_id = ANY($1::bigint[]) ORDER BY 1, 2", list(accounts))
    return found + [tuple(r) for r in kept]


def listed(found: list[tuple]) -> list[tuple]:
    """Of ``rows``: the conversations as listed."""
    return [r for r in found if len(r) == 6]


class Told:
    """The live messages notify publishes to some accounts' subjects."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, live.LiveMessage]] = []

    async def watch(self, api: Api, accounts: list[int]) -> nats.NATS:
        nc = await nats.connect(operator_url(api.stack.settings))
        for account in accounts:
            async def got(msg, subject=subjects.live_user(account)) -> None:
                self.messages.append((subject, live.decode(msg.data)))
            await nc.subscribe(subjects.live_user(account), cb=got)
        await nc.flush()
        return nc


async def test_a_redelivered_event_changes_nothing_twice(api: Api) -> None:
    keep = KeepConversations(api.stack.notify.pool, api.stack.notify.nc)
    alice, bob, carol = new_id(), new_id(), new_id()
    root = new_id()
    first = created(root, alice, (bob,), root)
    reply = created(new_id(), bob, (alice, carol), root)
    told = Told()
    nc = await told.watch(api, [alice, bob, carol])
    try:
        await keep.status_created(first)
        await keep.status_created(reply)
        await api.stack.notify.nc.flush()
        await asyncio.sleep(0.1)
        after_once = await rows(api, alice, bob, carol)
        messages = len(told.messages)
        assert messages == 5  # alice and bob, then alice, bob and carol
        for event in (first, reply, first):  # redelivered, in any order
            await keep.status_created(event)
        await api.stack.notify.nc.flush()
        await asyncio.sleep(0.1)
        assert await rows(api, alice, bob, carol) == after_once
        assert len(told.messages) == messages  # nobody told twice
    finally:
        await nc.close()
    mine = [r for r in listed(after_once) if r[0] == alice]
    assert mine == [(alice, root, True, reply.status_id, tuple(sorted((alice, bob, carol))),
                     (reply.status_id, root))]
    hers = [r for r in listed(after_once) if r[0] == carol]
    assert hers == [(carol, root, True, reply.status_id, tuple(sorted((alice, bob, carol))),
                     (reply.status_id,))]

    # A deletion, redelivered too, moves the last status back once.
    await keep.status_deleted(deleted(reply))
    after_delete = await rows(api, alice, bob, carol)
    await keep.status_deleted(deleted(reply))
    await keep.status_created(reply)  # the creation redelivered after: kept out
    assert await rows(api, alice, bob, carol) == after_delete
    assert [r[3] for r in listed(after_delete)] == [root, root]  # carol's is gone
    assert [r[0] for r in after_delete if len(r) == 3] == [alice, bob]


async def test_a_deletion_before_its_creation_keeps_the_status_out(api: Api) -> None:
    keep = KeepConversations(api.stack.notify.pool, api.stack.notify.nc)
    alice, bob = new_id(), new_id()
    event = created(new_id(), alice, (bob,), new_id())
    await keep.status_deleted(deleted(event))
    await keep.status_created(event)
    assert await rows(api, alice, bob) == []


async def test_statuses_not_direct_make_no_conversation(api: Api) -> None:
    keep = KeepConversations(api.stack.notify.pool, api.stack.notify.nc)
    alice, bob = new_id(), new_id()
    status_id = new_id()
    await keep.status_created(created(status_id, alice, (bob,), status_id, visibility="private"))
    assert await rows(api, alice, bob) == []


async def test_an_older_status_arriving_late_leaves_read_state_and_order(api: Api) -> None:
    """Workers take events in any order: bob's newer reply handled first, alice's older
    message after it does not make the conversation unread for alice nor move its last."""
    keep = KeepConversations(api.stack.notify.pool, api.stack.notify.nc)
    alice, bob = new_id(), new_id()
    root = new_id()
    first = created(root, bob, (alice,), root)
    answer = created(new_id(), alice, (bob,), root)
    await keep.status_created(answer)
    await keep.status_created(first)
    conversations = {r[0]: r for r in listed(await rows(api, alice, bob))}
    assert conversations[alice][2:4] == (False, answer.status_id)  # she wrote the last one
    assert conversations[bob][2:4] == (True, answer.status_id)


async def test_a_removed_conversation_comes_back_for_a_new_status_only(api: Api) -> None:
    keep = KeepConversations(api.stack.notify.pool, api.stack.notify.nc)
    alice, bob = new_id(), new_id()
    root = new_id()
    first = created(root, bob, (alice,), root)
    await keep.status_created(first)
    async with api.stack.notify.pool.acquire() as conn:
        assert await store.remove(conn, alice, root)
    await keep.status_created(first)  # redelivered: not new, stays removed
    assert [r[0] for r in listed(await rows(api, alice, bob))] == [bob]
    await keep.status_created(created(new_id(), bob, (alice,), root))
    assert [r[0] for r in listed(await rows(api, alice, bob))] == [alice, bob]
