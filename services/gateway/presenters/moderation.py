"""Mastodon's moderation entities: Report (what a reporter is answered), Admin::Account and
Admin::Report (what a network's moderators see)."""

from __future__ import annotations

from typing import Any

from services.gateway.presenters.mastodon import account, iso, role
from shared.contracts.moderation import AdminAccount, ReportRecord, SignUpBlock


def report(r: ReportRecord, target: dict[str, Any]) -> dict[str, Any]:
    """Mastodon's Report entity (``target``: the reported account's Account entity)."""
    return {
        "id": str(r.id),
        "action_taken": r.action_taken_at is not None,
        "action_taken_at": iso(r.action_taken_at),
        "category": r.category,
        "comment": r.comment,
        "forwarded": False,  # no federation
        "created_at": iso(r.created_at),
        "status_ids": [str(i) for i in r.status_ids] or None,
        "rule_ids": None,  # Hubbub has no rules
        "target_account": target,
    }


def admin_account(a: AdminAccount, base_url: str) -> dict[str, Any]:
    """Mastodon's Admin::Account. Hubbub keeps no sign-up addresses or locales: ``ip`` null,
    ``ips`` empty; every account is local to its network (``domain`` null)."""
    rec = a.account
    return {
        "id": str(rec.id),
        "username": rec.username,
        "domain": None,
        "created_at": iso(rec.created_at),
        "email": a.email,
        "ip": None,
        "ips": [],
        "locale": "",
        "invite_request": None,
        "role": role(rec.role),
        "confirmed": rec.confirmed,
        "approved": rec.approved,
        "disabled": rec.disabled,
        "silenced": rec.silenced,
        "suspended": rec.suspended,
        "sensitized": rec.sensitized,
        "account": account(rec, base_url),
        # Hubbub: deactivated by the company (offboarding, SCIM), apart from moderation.
        "hubbub": {"deactivated": rec.deactivated, "network_role": rec.role},
    }


def admin_report(r: ReportRecord, accounts: dict[int, dict[str, Any]],
                 statuses: list[dict[str, Any]]) -> dict[str, Any]:
    """Mastodon's Admin::Report (``accounts``: Admin::Account entities by id)."""

    def named(account_id: int | None) -> dict[str, Any] | None:
        return accounts.get(account_id) if account_id is not None else None

    return {
        "id": str(r.id),
        "action_taken": r.action_taken_at is not None,
        "action_taken_at": iso(r.action_taken_at),
        "category": r.category,
        "comment": r.comment,
        "forwarded": False,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
        "account": named(r.account_id),
        "target_account": named(r.target_account_id),
        "assigned_account": named(r.assigned_account_id),
        "action_taken_by_account": named(r.action_taken_by_account_id),
        "statuses": statuses,
        "rules": [],
    }


def sign_up_block(b: SignUpBlock) -> dict[str, Any]:
    """Mastodon's CanonicalEmailBlock, EmailDomainBlock or IpBlock, by the block's kind."""
    if b.kind == "canonical_email":
        return {"id": str(b.id), "canonical_email_hash": b.value}
    if b.kind == "email_domain":
        return {"id": str(b.id), "domain": b.value, "created_at": iso(b.created_at),
                "history": []}
    return {"id": str(b.id), "ip": b.value, "severity": b.severity, "comment": b.comment,
            "created_at": iso(b.created_at), "expires_at": iso(b.expires_at)}
