"""Hubbub's networks (a company's space, by e-mail domain)."""

from __future__ import annotations

from typing import Any

from services.gateway.presenters import mastodon
from shared.contracts import graph as graph_api
from shared.contracts import network_admin as admin_api
from shared.records import AccountRecord


def network(n: graph_api.Network) -> dict[str, Any]:
    return {"id": str(n.id), "domain": n.domain, "name": n.name,
            "invitation_only": n.invitation_only, "members_count": n.members_count,
            "role": n.role, "password_grant_apps": n.password_grant_apps,
            "created_at": mastodon.iso(n.created_at)}


def member(a: AccountRecord, base_url: str) -> dict[str, Any]:
    """An account as the network's admins see it: with its Mastodon ``role`` and, in
    ``hubbub.role``, the network role by name (members and guests share Mastodon's)."""
    shaped = mastodon.account(a, base_url)
    shaped["role"] = mastodon.role(a.role)
    shaped["hubbub"] = {**shaped["hubbub"], "role": a.role}
    return shaped


def audit_entry(e: admin_api.AuditEntry, accounts: dict[int, AccountRecord],
                base_url: str) -> dict[str, Any]:
    def named(account_id: int | None) -> dict[str, Any] | None:
        found = accounts.get(account_id) if account_id is not None else None
        return member(found, base_url) if found is not None else None

    actor = named(e.actor_id) if e.actor_kind == "account" else None
    return {"id": str(e.id), "action": e.action, "created_at": mastodon.iso(e.created_at),
            "actor": actor if actor is not None else {"kind": e.actor_kind},
            "target": named(e.target_id), "ip": e.ip,
            "app": (None if e.app_id is None and e.app_name is None
                    else {"id": None if e.app_id is None else str(e.app_id),
                          "name": e.app_name}),
            "details": e.details}
