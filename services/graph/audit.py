"""The network's audit log: who did what to whom, when, from which address and app.

Every admin action, role change, deactivation, domain claim, SSO and SCIM change calls
``record`` with the connection of the transaction that makes the change, so that the entry and
the change are committed together or not at all: a log that could miss an action, or name one
that never happened, would prove nothing. The table is append-only for the graph runtime role
(shared/db_roles.py), so a service that is taken over cannot rewrite what it did.

Details are small and never secret: old and new values, the names of the fields changed. A
password, token, code or digest has no place here; ``record`` refuses a key that looks like one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import asyncpg

from services.graph.store import audit as audit_store
from shared.contracts.network_admin import MAX_APP_NAME, MAX_IP, ActorKind, AuditContext
from shared.ids import new_id

ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")  # "account.role_changed"
# "password", "client_secret", "invite_code", "token_hash"; not "password_grant_apps".
_SECRET_KEY = re.compile(r"(^|_)(password|secret|token|code|hash|digest)$", re.IGNORECASE)


async def record(conn: asyncpg.Connection, *, network_id: int, action: str,
                 actor_id: int | None = None, actor_kind: ActorKind = "account",
                 target_id: int | None = None, details: Mapping[str, Any] | None = None,
                 context: AuditContext | None = None) -> int:
    """Add an entry in the caller's transaction; returns its id. ``actor_id`` is the acting
    account (``actor_kind`` "account"); the operator's CLI, SCIM, SSO and Hubbub itself act
    with no account (``actor_kind`` "operator", "scim", "sso", "system")."""
    if not conn.is_in_transaction():
        raise RuntimeError("audit.record needs the transaction of the change it records")
    if not ACTION.match(action):
        raise ValueError(f"not an audit action name: {action!r}")
    if (actor_kind == "account") != (actor_id is not None):
        raise ValueError("an account actor needs actor_id, and only it")
    shown = dict(details or {})
    _refuse_secrets(shown)
    ctx = context or AuditContext()
    entry_id = new_id()
    await audit_store.insert_entry(
        conn, entry_id=entry_id, network_id=network_id, actor_kind=actor_kind,
        actor_id=actor_id, action=action, target_id=target_id, details=shown,
        ip=ctx.ip[:MAX_IP] if ctx.ip else None, app_id=ctx.app_id,
        app_name=ctx.app_name[:MAX_APP_NAME] if ctx.app_name else None)
    return entry_id


def _refuse_secrets(details: Mapping[str, Any]) -> None:
    for key, value in details.items():
        if _SECRET_KEY.search(str(key)):
            raise ValueError(f"audit details must not hold secrets: {key!r}")
        if isinstance(value, Mapping):
            _refuse_secrets(value)
