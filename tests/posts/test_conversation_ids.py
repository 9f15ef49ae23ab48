"""Each status's conversation (its thread's root, Mastodon's conversation_id), as posts stores it
and tells it in its StatusCreated event: a status answering nothing starts its own, a reply
inherits its parent's however deep; the migration gave statuses written before theirs."""

from __future__ import annotations

from pathlib import Path

from services.posts import store
from shared import events, subjects
from tests.helpers import Api

MIGRATION = Path(__file__).resolve().parents[2] / "services/posts/migrations/0005_conversations.sql"


async def stored(api: Api, *ids: str) -> list[int | None]:
    async with api.stack.posts.pool.acquire() as conn:
        found = {s.id: s for s in await store.statuses_by_ids(conn, [int(i) for i in ids])}
    return [found[int(i)].conversation_id for i in ids]


async def test_a_reply_inherits_its_threads_root(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    root = await api.post(alice, "a thread")
    reply = await api.post(bob, "a reply", in_reply_to_id=root["id"])
    deeper = await api.post(alice, f"@{bob.username} a direct answer", visibility="direct",
                            in_reply_to_id=reply["id"])
    other = await api.post(bob, "another thread")
    assert await stored(api, root["id"], reply["id"], deeper["id"], other["id"]) == [
        int(root["id"])] * 3 + [int(other["id"])]
    row = await api.stack.posts.pool.fetchrow(
        "SELECT payload FROM outbox WHERE subject LIKE $1 || '.%' "
        "AND convert_from(payload, 'UTF8') LIKE '%' || $2 || '%'",
        subjects.event("post.status.created"), deeper["id"])
    event = events.decode(bytes(row["payload"]))
    assert isinstance(event, events.StatusCreated)
    assert event.conversation_id == int(root["id"])


async def test_the_migration_gives_earlier_statuses_their_root(api: Api) -> None:
    alice = await api.user()
    root = await api.post(alice, "written before conversations")
    reply = await api.post(alice, "a reply", in_reply_to_id=root["id"])
    deeper = await api.post(alice, "and another", in_reply_to_id=reply["id"])
    ids = [int(s["id"]) for s in (root, reply, deeper)]
    pool = api.stack.posts.pool
    await pool.execute("UPDATE statuses SET conversation_id = NULL WHERE id = ANY($1::bigint[])",
                       ids)
    sql = MIGRATION.read_text()
    await pool.execute(sql[sql.index("WITH RECURSIVE"):])  # the backfill, after the new column
    assert await stored(api, *map(str, ids)) == [ids[0]] * 3
