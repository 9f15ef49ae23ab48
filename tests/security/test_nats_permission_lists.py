"""The permissions in shared/permissions.py are read off the code, so that a new call, event or
watch cannot silently fail at run time (the server would refuse it), and a right no code uses
does not linger."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from services.gateway.offboarding import MEMBERSHIP_EVENTS
from services.gateway.streaming.fact_changes import CONCERNS
from shared import permissions, subjects
from shared.contracts.verb import Verb
from shared.nats_users import OPERATOR
from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = "shared.contracts"


def _sources(service: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((ROOT / "services" / service).rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def _contract_aliases(tree: ast.Module) -> dict[str, ModuleType]:
    aliases: dict[str, ModuleType] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == CONTRACTS:
            for name in node.names:
                aliases[name.asname or name.name] = importlib.import_module(
                    f"{CONTRACTS}.{name.name}")
    return aliases


def verbs_named_in(service: str) -> set[Verb]:
    """Every verb the service's code names (``graph_api.ACCOUNT_GET``, or imported by name):
    whatever it names, it may call, through ``bus.call`` or a variable holding the verb."""
    found: set[Verb] = set()
    for _path, tree in _sources(service):
        aliases = _contract_aliases(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    f"{CONTRACTS}."):
                module = importlib.import_module(node.module or "")
                found |= {value for name in node.names
                          if isinstance(value := getattr(module, name.name, None), Verb)}
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases):
                value = getattr(aliases[node.value.id], node.attr, None)
                if isinstance(value, Verb):
                    found.add(value)
    return {verb for verb in found if verb.service != service}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_may_call_exactly_the_verbs_its_code_names(service: str):
    listed = set(permissions.CALLS[service])
    named = verbs_named_in(service)
    assert not named - listed, f"add to CALLS[{service!r}]: {sorted(map(repr, named - listed))}"
    assert not listed - named, f"{service} no longer calls {sorted(map(repr, listed - named))}"


def test_the_scan_sees_calls_through_a_variable():
    """Routes pick a verb first and call it after (``verb = posts_api.FAVOURITE_ADD if ...``):
    the scan counts names, not only ``bus.call`` arguments."""
    from shared.contracts import posts as posts_api

    assert {posts_api.FAVOURITE_ADD, posts_api.FAVOURITE_REMOVE} <= verbs_named_in("gateway")


def _outbox_events(service: str) -> set[str]:
    """The event types written by ``outbox.add(conn, "<service>", events.X(...))`` calls."""
    from shared import events

    written: set[str] = set()
    for path, tree in _sources(service):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "add" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "outbox"):
                continue
            owner = node.args[1]
            assert isinstance(owner, ast.Constant) and owner.value == service, path
            made = node.args[2]
            if isinstance(made, ast.Starred):  # *[events.X(...) for ...]
                made = made.value
            if isinstance(made, (ast.ListComp, ast.GeneratorExp)):
                made = made.elt
            if isinstance(made, ast.Call) and isinstance(made.func, ast.Attribute):
                written.add(permissions.event_tag(getattr(events, made.func.attr)))
    return written


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_publishes_only_the_events_its_outbox_writes(service: str):
    allowed = set(permissions.events_published_by(service))
    written = _outbox_events(service)
    assert bool(written) == bool(allowed), (written, allowed)  # the scan sees the outbox
    assert written <= allowed, f"{service} writes {sorted(written - allowed)}"
    rights = permissions.for_service(service).publish
    for tag in allowed:
        assert subjects.event(tag) in rights
    events_of_others = [subjects.event(tag) for other in SERVICES if other != service
                        for tag in permissions.events_published_by(other)]
    assert not set(events_of_others) & set(rights)


def test_every_event_has_an_owner():
    for kind in permissions.event_types():
        domain = permissions.event_tag(kind).split(".", 1)[0]
        assert domain in permissions.EVENT_OWNERS, kind


def test_gateway_may_watch_exactly_the_fact_changes_it_watches():
    assert set(permissions.GATEWAY_WATCHES) == set(CONCERNS)


def test_gateway_may_watch_exactly_the_membership_events_it_watches():
    assert set(permissions.GATEWAY_MEMBERSHIP_WATCHES) == set(MEMBERSHIP_EVENTS)
    reads = permissions.for_service("gateway").subscribe
    for kind in MEMBERSHIP_EVENTS:
        assert subjects.event(permissions.event_tag(kind)) in reads


def test_live_subjects_are_read_by_gateways_only():
    for service in SERVICES:
        reads = permissions.for_service(service).subscribe
        live = [subject for subject in reads if subject.startswith("hubbub.live")]
        assert live == ([permissions.LIVE_READ] if service == "gateway" else []), service


def test_no_service_has_wildcard_rights():
    for service in SERVICES:
        rights = permissions.for_service(service)
        for subject in (*rights.publish, *rights.subscribe):
            assert subject not in (">", "hubbub.>", "hubbub.evt.>", "_INBOX.>", "$JS.API.>")
    assert permissions.for_user(OPERATOR).publish == (">",)
