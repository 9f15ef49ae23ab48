"""notify's store for grouped notifications and the policy: a group's key reaches back 12 hours
(Mastodon's sliding hour bucket), a dropped notification leaves no row, and the grouped page is
one statement that the group index serves."""

from __future__ import annotations

import asyncpg

from services.notify import store
from shared.contracts.notify import ListGroups
from shared.ids import new_id
from tests.helpers import Api

HOUR = 3_600_000


async def _favourite(conn, account_id: int, status_id: int, from_account_id: int,
                     at_ms: int) -> str:
    made = new_id()
    assert await store.insert(conn, id=made, account_id=account_id, type="favourite",
                              from_account_id=from_account_id, status_id=status_id,
                              dedupe_key=f"test:{made}", at_ms=at_ms)
    key: str = await conn.fetchval("SELECT group_key FROM notifications WHERE id = $1", made)
    return key


async def test_a_group_key_reaches_back_twelve_hours(api: Api) -> None:
    account, status = new_id(), new_id()
    start = 480_000 * HOUR + 5
    async with api.stack.notify.pool.acquire() as conn:
        first = await _favourite(conn, account, status, 1, start)
        assert first == f"favourite-{status}-480000"
        assert await _favourite(conn, account, status, 2, start + 11 * HOUR) == first
        later = await _favourite(conn, account, status, 3, start + 12 * HOUR)
        assert later == f"favourite-{status}-480012"  # the group would span too long
        assert await _favourite(conn, account, status, 4, start + 13 * HOUR) == later
        # Another status, and a follow, group on their own.
        assert await _favourite(conn, account, status + 1, 5, start) != first
        made = new_id()
        await store.insert(conn, id=made, account_id=account, type="mention",
                           from_account_id=6, status_id=status, dedupe_key=f"test:{made}",
                           at_ms=start)
        assert await conn.fetchval("SELECT group_key FROM notifications WHERE id = $1",
                                   made) is None
        page = await store.groups.page(conn, ListGroups(account_id=account))
    assert [(g.group_key.startswith("ungrouped-"), g.notifications_count) for g in page] == [
        (True, 1), (False, 1), (False, 2), (False, 2)]
    assert page[2].sample_account_ids == [4, 3] and page[3].sample_account_ids == [2, 1]


async def test_a_dropped_notification_leaves_no_row(api: Api) -> None:
    me, stranger = await api.user(), await api.user()
    r = await api.client.patch("/api/v2/notifications/policy", headers=me.headers,
                               json={"for_not_following": "drop"})
    assert r.status_code == 200
    post = await api.post(me, "drop them")
    await api.client.post(f"/api/v1/statuses/{post['id']}/favourite", headers=stranger.headers)
    await api.follow(stranger, me)
    await api.idle()
    pool = api.stack.notify.pool
    assert await pool.fetchval("SELECT count(*) FROM notifications WHERE account_id = $1",
                               int(me.id)) == 0
    assert await pool.fetchval("SELECT count(*) FROM notification_requests "
                               "WHERE account_id = $1", int(me.id)) == 0


async def test_the_grouped_page_probes_groups_through_their_index(api: Api) -> None:
    # As the schemas' owner: the service's role may not ANALYZE a table it does not own (it
    # only warns), and the plan then leaned on whatever autovacuum had last counted (CI once
    # planned for 1 row: a count taken while the table was empty).
    conn = await asyncpg.connect(api.stack.settings.owner_database_url)
    transaction = conn.transaction()
    await transaction.start()
    try:
        # The plan at scale, whatever this session wrote so far: an account with many
        # notifications in many groups among 200 others with fewer, analysed. Rolled back: the
        # rows and their column statistics (the table's size in pg_class is written in place
        # and stays until autovacuum counts again: no other test reads a plan).
        await conn.execute(
            "INSERT INTO notify.notifications (id, account_id, type, from_account_id, "
            "status_id, dedupe_key, group_key) SELECT -g, 1, 'favourite', 2, g / 3, "
            "'probe:' || g, 'favourite-' || (g / 3) FROM generate_series(1, 20000) g")
        await conn.execute(
            "INSERT INTO notify.notifications (id, account_id, type, from_account_id, "
            "status_id, dedupe_key, group_key) SELECT -g, 2 + g % 200, 'favourite', 2, g / 3, "
            "'probe:' || g, 'favourite-' || (g / 3) FROM generate_series(20001, 40000) g")
        await conn.execute("ANALYZE notify.notifications")
        counted = await conn.fetchval(
            "SELECT reltuples FROM pg_class WHERE oid = 'notify.notifications'::regclass")
        await conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in await conn.fetch(
            "EXPLAIN SELECT 1 FROM notify.notifications n WHERE n.account_id = 1 "
            "AND n.dismissed_at IS NULL AND NOT EXISTS (SELECT 1 FROM notify.notifications m "
            "WHERE m.group_key = n.group_key AND m.id > n.id AND m.account_id = 1 "
            "AND m.dismissed_at IS NULL) ORDER BY n.id DESC LIMIT 40"))
    finally:
        await transaction.rollback()
        await conn.close()
    assert counted >= 40000, counted  # the ANALYZE counted this transaction's rows
    # The probe for a newer row of the same group goes through the group index. (The outer
    # scan is the planner's choice by the data: the account's index, or the primary key read
    # backwards when the account's rows are among the newest.)
    assert "Anti Join" in plan, plan
    assert "notifications_by_group" in plan, plan
