"""Who gets in (graph): networks made by operators, claimed e-mail domains, confirmed sign-ups
and the approval queue. Verbs are declared in shared/contracts/graph.py."""

from __future__ import annotations

from typing import Literal

import msgspec

from shared.contracts.network_admin import AuditContext

# Where a sign-up stands: a member, waiting for an admin, or not yet confirmed.
MembershipState = Literal["member", "awaiting_approval", "unconfirmed"]


class SetUpInstance(msgspec.Struct, frozen=True, kw_only=True):
    """The first-run setup page: the instance's first network, made with the setup code graph
    wrote under its data folder (only while no network exists)."""

    setup_code: str
    domain: str
    admin_email: str
    name: str = ""


class NetworkMade(msgspec.Struct, frozen=True, kw_only=True):
    network_id: int
    domain: str
    admin_email: str
    invite_code: str  # the first admin's invitation (also mailed): shown once


class InstanceState(msgspec.Struct, frozen=True, kw_only=True):
    has_networks: bool


class ConfirmEmail(msgspec.Struct, frozen=True, kw_only=True):
    token: str  # from the link in the confirmation e-mail


class Confirmed(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    state: MembershipState
    network_name: str


class ResendConfirmation(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    email: str | None = None  # a corrected address, as Mastodon allows before confirmation


class ClaimedDomain(msgspec.Struct, frozen=True, kw_only=True):
    domain: str
    claimed_at: int  # ms since the Unix epoch
    primary: bool  # the network's own domain: cannot be released


class Domains(msgspec.Struct, frozen=True, kw_only=True):
    domains: list[ClaimedDomain]


class DomainChange(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the admin
    domain: str
    audit: AuditContext | None = None


class ApprovalDecision(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the admin
    target_id: int  # the account waiting
    audit: AuditContext | None = None


class Nothing(msgspec.Struct, frozen=True, kw_only=True):
    """A request with no fields, or a reply that only says "done"."""
