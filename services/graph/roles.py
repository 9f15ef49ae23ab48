"""What each network role may do: pure rules, one table-driven test (tests/unit/test_roles.py).

owner     administers the network; alone makes or unmakes owners and admins
admin     administers the network: settings, password-grant apps, invitations, the audit log,
          deactivation of moderators, members and guests, and their roles
moderator deactivates members and guests, and moderates them (silence, suspend, disable,
          sensitive: Mastodon's admin API) and the network's reports; changes no settings
          and no roles
member    everything a person does in Hubbub
guest     a member who may not list the network's members (GET /network/members): someone let
          in to take part, not to browse the company's directory. Nothing else differs.

What the rules need besides roles (nobody changes their own role or deactivates themselves,
a network never loses its last owner) is checked by the use cases with the database.
"""

from __future__ import annotations

from shared.contracts.network_admin import ADMIN, GUEST, MEMBER, MODERATOR, OWNER, ROLES

ADMINISTRATORS = frozenset({OWNER, ADMIN})
DEACTIVATORS = frozenset({OWNER, ADMIN, MODERATOR})
# Roles only an owner gives or takes away.
OWNERS_ONLY = frozenset({OWNER, ADMIN})


def is_role(role: str) -> bool:
    return role in ROLES


def administers(role: str) -> bool:
    """Changes the network's settings, invites, reads the audit log."""
    return role in ADMINISTRATORS


def may_deactivate(actor: str, target: str) -> bool:
    if actor == OWNER:
        return True
    if actor == ADMIN:
        return target not in OWNERS_ONLY
    if actor == MODERATOR:
        return target in (MEMBER, GUEST)
    return False


def moderates(role: str) -> bool:
    """Reads and handles the network's reports and moderates its accounts."""
    return role in DEACTIVATORS


def may_moderate(actor: str, target: str) -> bool:
    """Silence, suspend, disable or mark sensitive (and undo it): whom one may deactivate."""
    return may_deactivate(actor, target)


def may_set_role(actor: str, current: str, new: str) -> bool:
    """Whether ``actor`` may change someone's role from ``current`` to ``new``."""
    if actor == OWNER:
        return True
    if actor == ADMIN:
        return current not in OWNERS_ONLY and new not in OWNERS_ONLY
    return False


def sees_members(role: str) -> bool:
    return role != GUEST
