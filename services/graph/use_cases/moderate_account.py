"""What a network's moderators, admins and owners do to its accounts (Mastodon's
POST /api/v1/admin/accounts/:id/action and its undoing routes): silence, suspend, disable,
mark sensitive, or only note a warning; and enable, unsilence, unsuspend, unsensitive.

Who may act on whom follows deactivation's rules (services/graph/roles.py): a moderator acts on
members and guests, an admin on moderators too, an owner on anyone, nobody on themselves.

Locking out (suspend, disable) reuses offboarding's path: ``AccountDeactivated`` in the same
transaction, on which every gateway refuses the account's tokens and ends its streams within a
second. Letting back in (unsuspend, enable, once neither remains) emits ``AccountReactivated``,
on which gateways lift what they remembered, so its tokens work again at once. Deactivation by
the company (offboarding, SCIM) is separate and stays: undoing a suspension never brings back
someone the company removed. Each action, and the report it resolves, is in the audit log in
the same transaction."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache, audit, roles
from services.graph.store import moderation as mod_store
from services.graph.use_cases.network_admin import acting_member, deactivate_in_network
from shared import errors, events, outbox
from shared.contracts.moderation import ACTIONS, DELETE, UNDOS, AccountAction, AdminAccount

MODERATORS_ONLY = "Only the network's moderators and admins may do this"
MAX_TEXT = 5000
# type -> (mark, on): "none" marks nothing.
_MARKS: dict[str, tuple[str, bool] | None] = {
    "none": None, "sensitive": ("sensitized", True), "disable": ("disabled", True),
    "silence": ("silenced", True), "suspend": ("suspended", True),
    "enable": ("disabled", False), "unsilence": ("silenced", False),
    "unsuspend": ("suspended", False), "unsensitive": ("sensitized", False),
}
_AUDIT_ACTION = {
    "none": "account.warned", "sensitive": "account.sensitized",
    "disable": "account.disabled", "silence": "account.silenced",
    "suspend": "account.suspended", "enable": "account.enabled",
    "unsilence": "account.unsilenced", "unsuspend": "account.unsuspended",
    "unsensitive": "account.unsensitized",
}
_LOCKS_OUT = ("suspended", "disabled")


async def moderator_of(conn: asyncpg.Connection, account_id: int, *, lock: bool = False
                       ) -> asyncpg.Record:
    member = await acting_member(conn, account_id, lock=lock)
    if not roles.moderates(member["role"]):
        raise errors.Forbidden(MODERATORS_ONLY)
    return member


class ModerateAccount:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: AccountAction) -> AdminAccount:
        if req.type not in ACTIONS and req.type not in UNDOS and req.type != DELETE:
            raise errors.Invalid(f"Validation failed: type must be one of {', '.join(ACTIONS)}")
        if len(req.text) > MAX_TEXT or "\x00" in req.text:
            raise errors.Invalid(f"Validation failed: text is at most {MAX_TEXT} characters")
        async with self.pool.acquire() as conn, conn.transaction():
            actor = await moderator_of(conn, req.account_id, lock=True)
            network_id = actor["network_id"]
            target = await mod_store.marks(conn, req.target_id)
            if target is None or target["network_id"] != network_id:
                raise errors.NotFound("Record not found")
            if req.account_id == req.target_id:
                raise errors.Invalid("Validation failed: you cannot moderate your own account")
            if not roles.may_moderate(actor["role"], target["role"]):
                raise errors.Forbidden(f"A {actor['role']} may not moderate a {target['role']}")
            report = None
            if req.report_id is not None:
                report = await mod_store.report(conn, req.report_id, lock=True)
                if report is None or report.network_id != network_id:
                    raise errors.NotFound("Record not found")
                if report.target_account_id != req.target_id:
                    raise errors.Invalid("Validation failed: the report is not about this "
                                         "account")
            if req.type == DELETE:
                await self._delete(conn, req, network_id, target)
            else:
                await self._apply(conn, req, network_id, target)
            if report is not None and report.action_taken_at is None:
                await mod_store.change_report(conn, report.id, "resolve", req.account_id)
                await audit.record(conn, network_id=network_id, action="report.resolved",
                                   actor_id=req.account_id, target_id=report.target_account_id,
                                   context=req.audit, details={"report_id": str(report.id)})
            [found] = await mod_store.admin_accounts_by_ids(conn, network_id, [req.target_id])
        # As deactivation (network_admin.DeactivateMember): the generation first, so that a
        # fill that read the row before the commit does not store it over this record.
        await account_cache.invalidate(self.cache, req.target_id)
        await account_cache.put(self.cache, [found.account])
        return found

    @staticmethod
    async def _delete(conn: asyncpg.Connection, req: AccountAction, network_id: int,
                      target: asyncpg.Record) -> None:
        """Mastodon deletes a suspended account's data; Hubbub deactivates it for good (the
        company's offboarding: its posts and the audit log stay), so no unsuspend brings it
        back."""
        if not target["suspended"]:
            raise errors.Forbidden("Only a suspended account can be deleted")
        await deactivate_in_network(conn, network_id, req.target_id, actor_id=req.account_id,
                                    context=req.audit, details={"role": target["role"],
                                                                "reason": "deleted"})
        await audit.record(conn, network_id=network_id, action="account.deleted",
                           actor_id=req.account_id, target_id=req.target_id,
                           context=req.audit)

    async def _apply(self, conn: asyncpg.Connection, req: AccountAction, network_id: int,
                     target: asyncpg.Record) -> None:
        mark = _MARKS[req.type]
        details: dict[str, str] = {"role": target["role"]}
        if req.text:
            details["text"] = req.text
        if req.report_id is not None:
            details["report_id"] = str(req.report_id)
        if mark is not None:
            name, on = mark
            if target[name] == on:  # already so: nothing changes, nothing is logged
                return
            await mod_store.set_mark(conn, req.target_id, name, on)
            barred_before = target["deactivated"] or any(target[m] for m in _LOCKS_OUT)
            barred_after = target["deactivated"] or any(
                on if m == name else target[m] for m in _LOCKS_OUT)
            if barred_after and not barred_before:
                await outbox.add(conn, "graph", events.AccountDeactivated(
                    account_id=req.target_id, network_id=network_id))
            elif barred_before and not barred_after:
                await outbox.add(conn, "graph", events.AccountReactivated(
                    account_id=req.target_id, network_id=network_id))
        await audit.record(conn, network_id=network_id, action=_AUDIT_ACTION[req.type],
                           actor_id=req.account_id, target_id=req.target_id,
                           context=req.audit, details=details)
