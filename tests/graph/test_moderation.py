"""Moderation's use cases against the database: each lock-out and letting back in writes its
event once (gateways act on them), and the same action twice changes and logs nothing."""

from __future__ import annotations

from services.graph.use_cases.moderate_account import ModerateAccount
from shared.contracts.moderation import AccountAction
from tests.helpers import Api, User, other_domain


async def events_about(api: Api, subject: str, account_id: str) -> int:
    return int(await api.stack.graph.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE subject = $1 "
        "AND convert_from(payload, 'UTF8') LIKE $2",
        f"hubbub.evt.graph.account.{subject}", f'%"account_id":{account_id}%'))


async def audit_count(api: Api, action: str, target: User) -> int:
    return int(await api.stack.graph.pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = $1 AND target_id = $2",
        action, int(target.id)))


async def test_lock_outs_and_reactivations_emit_once(api: Api) -> None:
    domain = other_domain()
    owner, member = await api.user(domain=domain), await api.user(domain=domain)
    moderate = ModerateAccount(api.stack.graph.pool, api.stack.graph.redis.main)

    async def act(kind: str) -> None:
        await moderate(AccountAction(account_id=int(owner.id), target_id=int(member.id),
                                     type=kind))

    await act("suspend")
    await act("suspend")  # already: nothing
    assert await events_about(api, "deactivated", member.id) == 1
    assert await audit_count(api, "account.suspended", member) == 1
    await act("disable")  # locked out already: no second event
    assert await events_about(api, "deactivated", member.id) == 1
    await act("unsuspend")  # still disabled: not back yet
    assert await events_about(api, "reactivated", member.id) == 0
    await act("enable")
    assert await events_about(api, "reactivated", member.id) == 1
    await act("silence")  # silence locks nobody out
    assert await events_about(api, "deactivated", member.id) == 1
    record = await api.stack.graph.pool.fetchrow(
        "SELECT silenced_at IS NOT NULL AS silenced, suspended_at, disabled_at, active "
        "FROM accounts WHERE id = $1", int(member.id))
    assert record["silenced"] and record["suspended_at"] is None
    assert record["disabled_at"] is None and record["active"]
