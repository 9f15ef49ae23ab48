"""Communities and their members (Hubbub's own API)."""

from __future__ import annotations

from typing import Any

from services.gateway.presenters import mastodon
from shared.contracts import communities as api
from shared.records import AccountRecord


def community_json(c: api.CommunityRecord) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "name": c.name,
        "description": c.description,
        "membership": c.membership,
        "external": c.external,
        "network": {"id": str(c.network_id), "domain": c.network_domain},
        "members_count": c.members_count,
        "created_at": mastodon.iso(c.created_at),
        "role": c.role,
        "requested": c.requested,
        "invited": c.invited,
    }


def member_json(m: api.Membership, account: AccountRecord, base_url: str) -> dict[str, Any]:
    return {"id": str(m.account_id), "account": mastodon.account(account, base_url),
            "role": m.role, "joined_at": mastodon.iso(m.joined_at)}
