"""The graph service's moderation API (#17): members' reports, and what a network's moderators,
admins and owners do to its accounts and reports (Mastodon's admin API). Roles are checked by
graph against its database; nothing crosses networks (another network's account or report is
unknown: 404)."""

from __future__ import annotations

from typing import Literal

import msgspec

from shared.contracts.network_admin import AuditContext
from shared.records import AccountRecord

ReportCategory = Literal["spam", "legal", "violation", "other"]
CATEGORIES: tuple[str, ...] = ("spam", "legal", "violation", "other")
MAX_COMMENT = 1000
MAX_REPORTED_STATUSES = 100
# Mastodon's POST /api/v1/admin/accounts/:id/action types, and their undoing routes.
ACTIONS: tuple[str, ...] = ("none", "sensitive", "disable", "silence", "suspend")
UNDOS: tuple[str, ...] = ("enable", "unsilence", "unsuspend", "unsensitive")
# DELETE /api/v1/admin/accounts/:id: a suspended account, deactivated for good.
DELETE = "delete"
# v2's ``status`` filter (v1's booleans map onto it).
ACCOUNT_STATUSES: tuple[str, ...] = ("active", "pending", "disabled", "silenced", "suspended")
REPORT_CHANGES: tuple[str, ...] = ("assign_to_self", "unassign", "resolve", "reopen")


class CreateReport(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who reports
    target_id: int
    status_ids: list[int] = []  # checked by the gateway to be the target's
    comment: str = ""
    category: str = "other"


class ReportRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    network_id: int
    account_id: int
    target_account_id: int
    status_ids: list[int] = []
    comment: str = ""
    category: str = "other"
    assigned_account_id: int | None = None
    action_taken_at: int | None = None  # ms since the Unix epoch
    action_taken_by_account_id: int | None = None
    created_at: int = 0
    updated_at: int = 0


class AdminAccount(msgspec.Struct, frozen=True, kw_only=True):
    """What a moderator sees of an account: its record and its address."""

    account: AccountRecord
    email: str


class AdminAccountQuery(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks
    status: str | None = None  # one of ACCOUNT_STATUSES
    roles: list[str] = []  # network roles (shared/contracts/network_admin.ROLES); any of
    username: str | None = None
    display_name: str | None = None
    email: str | None = None
    by_domain: str | None = None  # the e-mail address's domain
    sensitized: bool | None = None
    staff: bool = False  # owners, admins and moderators only
    remote: bool = False  # Hubbub has no remote accounts: an empty page
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 100


class AdminAccounts(msgspec.Struct, frozen=True, kw_only=True):
    accounts: list[AdminAccount]


class AdminAccountRef(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks
    target_id: int


class AccountAction(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who acts
    target_id: int
    type: str  # one of ACTIONS, of UNDOS, or DELETE
    report_id: int | None = None  # resolved by the action
    text: str = ""  # the moderator's note, kept in the audit log
    audit: AuditContext | None = None


class AdminReportQuery(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks
    resolved: bool | None = None
    reporter_id: int | None = None  # Mastodon's account_id filter
    target_account_id: int | None = None
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 100


class AdminReportRef(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks
    report_id: int


class ReportChange(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who acts
    report_id: int
    change: str  # one of REPORT_CHANGES
    audit: AuditContext | None = None


class AdminReports(msgspec.Struct, frozen=True, kw_only=True):
    """Reports, and every account they name (reporters, targets, assignees, resolvers)."""

    reports: list[ReportRecord]
    accounts: list[AdminAccount] = []


# --- sign-up blocks (canonical e-mail, e-mail domain, IP) -----------------------------------------

BlockKind = Literal["canonical_email", "email_domain", "ip"]
IP_SEVERITIES: tuple[str, ...] = ("sign_up_requires_approval", "sign_up_block", "no_access")


class SignUpBlock(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: BlockKind
    value: str  # the canonical address's SHA-256, the domain, or the IP range
    severity: str | None = None  # ip blocks only
    comment: str = ""
    created_at: int = 0  # ms since the Unix epoch
    expires_at: int | None = None


class SignUpBlocks(msgspec.Struct, frozen=True, kw_only=True):
    blocks: list[SignUpBlock]


class BlocksQuery(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks
    kind: BlockKind
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 100


class BlockRef(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks
    kind: BlockKind
    id: int
    audit: AuditContext | None = None


class SaveBlock(msgspec.Struct, frozen=True, kw_only=True):
    """Create (no ``id``) or, for ip blocks, update a block. canonical_email takes ``email``
    (canonicalized and hashed by graph) or ``value`` (the hash); email_domain and ip take
    ``value``."""

    account_id: int  # who asks
    kind: BlockKind
    id: int | None = None
    value: str | None = None
    email: str | None = None
    severity: str | None = None
    comment: str | None = None
    expires_in: int | None = None  # seconds
    audit: AuditContext | None = None


class CheckEmail(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks
    email: str


# --- the dashboard (Mastodon's measures, dimensions, retention) --------------------------------

class StatsQuery(msgspec.Struct, frozen=True, kw_only=True):
    """The asker's network on the days from ``start`` to ``end`` (UTC, YYYY-MM-DD, both in)."""

    account_id: int  # who asks: an owner, admin or moderator
    start: str
    end: str


class NetworkDay(msgspec.Struct, frozen=True, kw_only=True):
    day: str
    new_ids: list[int] = []  # accounts that joined (created, confirmed and approved)
    opened_reports: int = 0
    resolved_reports: int = 0


class NetworkStats(msgspec.Struct, frozen=True, kw_only=True):
    network_id: int
    days: list[NetworkDay]
