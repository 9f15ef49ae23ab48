"""notify's plain notifications (services/notify/store/plain.py): the recipient's facts read and
the row written in one statement when nothing more is to decide. The SQL's "plain" must say
what the policy rule in Python says (services/notify/policy.py ``may_apply``) for every policy,
type and sender: a notification it wrongly took for plain would skip its recipient's filter."""

from __future__ import annotations

import itertools

import asyncpg

from services.notify import store
from services.notify.policy import FILTERABLE, may_apply
from services.notify.store.plain import insert_if_plain
from shared.contracts.notify import Policy, PolicyAction
from shared.ids import new_id
from shared.records import NotificationType
from tests.helpers import Api

ACTIONS: tuple[PolicyAction, ...] = ("accept", "filter", "drop")
TYPES: tuple[NotificationType, ...] = ("mention", "favourite", "follow", "status", "poll",
                                       "update")


async def attempt(conn: asyncpg.Connection, recipient: int, sender: int, type_: NotificationType,
                  private: bool) -> tuple[bool, bool, int]:
    """(plain, created, rows written) of one attempt with a fresh dedupe key."""
    key = f"plain-test-{new_id()}:{recipient}"
    outcome = await insert_if_plain(conn, id=new_id(), account_id=recipient, type=type_,
                                    from_account_id=sender, status_id=new_id(),
                                    dedupe_key=key, at_ms=1_796_000_000_000,
                                    private_mention=private)
    written = await conn.fetchval("SELECT count(*) FROM notifications WHERE dedupe_key = $1",
                                  key)
    return outcome.plain, outcome.created, written


async def test_plain_in_sql_is_the_policy_rule(api: Api) -> None:
    recipient, sender, permitted_sender = new_id(), new_id(), new_id()
    async with api.stack.notify.pool.acquire() as conn:
        await conn.execute("INSERT INTO notification_permissions (account_id, from_account_id) "
                           "VALUES ($1, $2)", recipient, permitted_sender)
        checked = 0
        for values in itertools.product(ACTIONS, repeat=4):
            policy = Policy(for_not_following=values[0], for_not_followers=values[1],
                            for_new_accounts=values[2], for_private_mentions=values[3])
            await store.policies.save_policy(conn, recipient, policy)
            for type_, private, permitted in itertools.product(TYPES, (False, True),
                                                               (False, True)):
                expected = not (type_ in FILTERABLE and not permitted and may_apply(
                    policy, type_, private_mention=private))
                plain, created, written = await attempt(
                    conn, recipient, permitted_sender if permitted else sender, type_, private)
                assert plain == expected, (policy, type_, private, permitted)
                assert created == expected and written == int(expected)
                checked += 1
        assert checked == 81 * len(TYPES) * 4


async def test_a_recipient_with_no_policy_row_gets_mastodons_defaults(api: Api) -> None:
    """No row: the defaults (Policy()), of which private mentions are filtered."""
    recipient, sender = new_id(), new_id()
    async with api.stack.notify.pool.acquire() as conn:
        assert (await attempt(conn, recipient, sender, "mention", False))[0]
        assert not (await attempt(conn, recipient, sender, "mention", True))[0]
        assert (await attempt(conn, recipient, sender, "favourite", False))[0]


async def test_a_muted_thread_or_a_push_subscription_leaves_it_to_the_full_path(
        api: Api) -> None:
    """Either needs deciding beyond the policy (the thread of the status, the push jobs): the
    statement writes nothing and hands the facts over."""
    muter, sender = new_id(), new_id()
    async with api.stack.notify.pool.acquire() as conn:
        await conn.execute("INSERT INTO thread_mutes (account_id, conversation_id) "
                           "VALUES ($1, $2)", muter, new_id())
        plain, created, written = await attempt(conn, muter, sender, "favourite", False)
        assert (plain, created, written) == (False, False, 0)
        outcome = await insert_if_plain(conn, id=new_id(), account_id=muter, type="favourite",
                                        from_account_id=sender, status_id=1,
                                        dedupe_key=f"plain-test-{new_id()}", at_ms=0)
        assert outcome.facts.mutes_threads and not outcome.facts.has_push


async def test_a_plain_notification_twice_is_written_once_in_its_group(api: Api) -> None:
    recipient, first, second, status_id = new_id(), new_id(), new_id(), new_id()
    async with api.stack.notify.pool.acquire() as conn:
        made = []
        for sender, key in ((first, "a"), (first, "a"), (second, "b")):
            outcome = await insert_if_plain(
                conn, id=new_id(), account_id=recipient, type="favourite",
                from_account_id=sender, status_id=status_id,
                dedupe_key=f"plain-test-{status_id}-{key}", at_ms=1_796_000_000_000)
            made.append((outcome.plain, outcome.created))
        assert made == [(True, True), (True, False), (True, True)]
        groups = await conn.fetch("SELECT DISTINCT group_key FROM notifications "
                                  "WHERE account_id = $1", recipient)
        assert [g["group_key"] for g in groups] == [f"favourite-{status_id}-498888"]
