"""Hubbub's networks (a company's space, by e-mail domain)."""

from __future__ import annotations

from typing import Any

from services.gateway.presenters import mastodon
from shared.contracts import graph as graph_api


def network(n: graph_api.Network) -> dict[str, Any]:
    return {"id": str(n.id), "domain": n.domain, "name": n.name,
            "invitation_only": n.invitation_only, "members_count": n.members_count,
            "role": n.role, "password_grant_apps": n.password_grant_apps,
            "created_at": mastodon.iso(n.created_at)}
