"""The graph service's network administration API beyond the basics in graph.py: network roles
and the audit log, and where an admin action came from (``AuditContext``).

Roles are the network's, checked by graph against its database: the caller's word is never
taken for them. Community roles are separate (shared/contracts/communities.py).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from shared.records import AccountRecord

OWNER, ADMIN, MODERATOR, MEMBER, GUEST = "owner", "admin", "moderator", "member", "guest"
ROLES = (OWNER, ADMIN, MODERATOR, MEMBER, GUEST)
# Who acted, when it was not an account of the network (the operator's CLI, the company's
# directory or identity provider, Hubbub itself).
ActorKind = Literal["account", "operator", "scim", "sso", "system"]
MAX_IP = 64  # an IPv6 address with a zone is shorter; anything longer is not an address
MAX_APP_NAME = 200


class AuditContext(msgspec.Struct, frozen=True, kw_only=True):
    """Where an admin action came from, as the gateway saw it: the client's address (the real
    one behind trusted proxies) and the OAuth app of the token."""

    ip: str | None = None
    app_id: int | None = None
    app_name: str | None = None


class SetNetworkRole(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks
    target_id: int
    role: str  # checked by graph against ROLES: a client's value
    audit: AuditContext | None = None


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    """The asker's network's audit log, newest first (Mastodon's id paging)."""

    account_id: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 40


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    action: str  # "account.role_changed", "network.updated", ...
    created_at: int  # ms since the Unix epoch
    actor_kind: ActorKind
    actor_id: int | None = None  # when actor_kind is "account"
    target_id: int | None = None
    ip: str | None = None
    app_id: int | None = None
    app_name: str | None = None
    details: dict[str, Any] = {}


class AuditEntries(msgspec.Struct, frozen=True, kw_only=True):
    entries: list[AuditEntry]
    # The actors and targets named, deactivated ones included: the log shows who they were.
    accounts: list[AccountRecord] = []
