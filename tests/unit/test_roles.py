"""services/graph/roles.py: what each network role may do, table-driven. The rules that need the
database (nobody acts on themselves, the last owner stays) are tested in
tests/graph/test_network_roles.py."""

from __future__ import annotations

import itertools

import pytest

from services.graph import roles

ROLES = ("owner", "admin", "moderator", "member", "guest")


def test_the_roles() -> None:
    assert all(roles.is_role(r) for r in ROLES)
    for other in ("", "Owner", "root", "admin ", "superuser"):
        assert not roles.is_role(other)


@pytest.mark.parametrize("role", ROLES)
def test_who_administers_and_who_sees_the_members(role: str) -> None:
    assert roles.administers(role) == (role in ("owner", "admin"))
    assert roles.sees_members(role) == (role != "guest")


# actor -> the roles it may deactivate
DEACTIVATES = {
    "owner": set(ROLES),
    "admin": {"moderator", "member", "guest"},
    "moderator": {"member", "guest"},
    "member": set(),
    "guest": set(),
}


@pytest.mark.parametrize(("actor", "target"), list(itertools.product(ROLES, ROLES)))
def test_who_deactivates_whom(actor: str, target: str) -> None:
    assert roles.may_deactivate(actor, target) == (target in DEACTIVATES[actor])


@pytest.mark.parametrize(("actor", "target"), list(itertools.product(ROLES, ROLES)))
def test_who_moderates_whom(actor: str, target: str) -> None:
    """Moderation (silence, suspend, disable, sensitive) follows deactivation's rules; only
    owners, admins and moderators handle reports."""
    assert roles.may_moderate(actor, target) == (target in DEACTIVATES[actor])
    assert roles.moderates(actor) == (actor in {"owner", "admin", "moderator"})


def _may_set(actor: str, current: str, new: str) -> bool:
    """The brief's words: only an owner makes or unmakes owners and admins; admins set
    moderator, member or guest on those who are not admins (or owners); nobody else sets any."""
    if actor == "owner":
        return True
    if actor == "admin":
        return current not in ("owner", "admin") and new not in ("owner", "admin")
    return False


@pytest.mark.parametrize(("actor", "current", "new"), list(itertools.product(ROLES, ROLES, ROLES)))
def test_who_sets_which_role(actor: str, current: str, new: str) -> None:
    assert roles.may_set_role(actor, current, new) == _may_set(actor, current, new)


def test_a_few_rows_spelled_out() -> None:
    assert roles.may_set_role("owner", "member", "admin")
    assert roles.may_set_role("owner", "owner", "member")
    assert not roles.may_set_role("admin", "member", "admin")
    assert not roles.may_set_role("admin", "admin", "member")
    assert not roles.may_set_role("admin", "owner", "member")
    assert roles.may_set_role("admin", "guest", "moderator")
    assert not roles.may_set_role("moderator", "member", "guest")
    assert not roles.may_deactivate("moderator", "moderator")
    assert not roles.may_deactivate("admin", "admin")
