"""Service verbs (``shared/contracts/verb.py``): each declared once, in its service's contract,
and each service's host serves exactly the verbs its contract declares.

The hosts below are built by the services' own ``register`` functions with stand-ins for the
pool, cache and connection: registering only builds the handlers, nothing talks to a server.
"""

from __future__ import annotations

import pytest

from services.graph import (
    account_extras,
    communities,
    feeds,
    filters,
    handlers,
    lists,
    membership,
    moderation,
    relations,
)
from services.notify import handlers as notify_handlers
from services.notify.push import handlers as push_handlers
from services.notify.webhooks import handlers as webhook_handlers
from services.posts import handlers as posts_handlers
from shared.contracts import fanout, graph, notify, posts
from shared.contracts.verb import Verb, VerbSet
from shared.service_host import ServiceHost
from shared.settings import Settings

CONTRACTS = [graph, posts, notify, fanout]


class StandIn:
    """Whatever a handler's constructor keeps (pool, Redis, NATS): never used while registering."""


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.SERVICE)
def test_every_verb_is_on_its_services_subject(contract) -> None:
    assert contract.VERBS.service == contract.SERVICE
    assert len(contract.VERBS) > 0
    for verb in contract.VERBS:
        assert verb.service == contract.SERVICE
        assert verb.subject == f"hubbub.svc.{contract.SERVICE}.{verb.name}"


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.SERVICE)
def test_every_verb_has_its_constant(contract) -> None:
    """``ACCOUNT_GET`` for ``account.get``: callers find a verb by its name."""
    for verb in contract.VERBS:
        assert getattr(contract, verb.name.replace(".", "_").upper()) is verb


def test_no_two_services_share_a_subject() -> None:
    subjects = [verb.subject for contract in CONTRACTS for verb in contract.VERBS]
    assert len(subjects) == len(set(subjects))


def test_a_verb_is_declared_once() -> None:
    verbs = VerbSet("posts")
    verbs.declare("status.get", posts.GetStatuses, posts.Statuses, kind="read")
    with pytest.raises(ValueError, match="declared twice"):
        verbs.declare("status.get", posts.GetStatuses, posts.Statuses, kind="read")


def graph_host() -> ServiceHost:
    host = ServiceHost(StandIn(), graph.VERBS)  # type: ignore[arg-type]
    for module in (handlers, relations, communities, lists, filters, account_extras,
                   moderation, feeds):
        module.register(host, StandIn(), StandIn())  # type: ignore[arg-type]
    membership.register(host, StandIn(), StandIn(), Settings(), StandIn())  # type: ignore[arg-type]
    return host


def posts_host() -> ServiceHost:
    host = ServiceHost(StandIn(), posts.VERBS)  # type: ignore[arg-type]
    posts_handlers.register(host, StandIn(), StandIn(), StandIn(),  # type: ignore[arg-type]
                            Settings())
    return host


def notify_host() -> ServiceHost:
    host = ServiceHost(StandIn(), notify.VERBS)  # type: ignore[arg-type]
    notify_handlers.register(host, StandIn())  # type: ignore[arg-type]
    push_handlers.register(host, StandIn(), Settings(), StandIn())  # type: ignore[arg-type]
    webhook_handlers.register(host, StandIn(), Settings(), StandIn(),  # type: ignore[arg-type]
                              StandIn(), StandIn())
    return host


@pytest.mark.parametrize("build", [graph_host, posts_host, notify_host],
                         ids=["graph", "posts", "notify"])
def test_each_service_serves_exactly_its_contract(build) -> None:
    host = build()
    host.check_complete()
    assert set(host._endpoints) == host.verbs.names()


async def answer(req: object) -> object:
    return req


def test_a_host_refuses_another_services_verb() -> None:
    host = ServiceHost(StandIn(), posts.VERBS)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="belongs to graph"):
        host.serve(graph.ACCOUNT_GET, answer)  # type: ignore[arg-type]


def test_a_host_refuses_a_verb_its_contract_does_not_declare() -> None:
    host = ServiceHost(StandIn(), posts.VERBS)  # type: ignore[arg-type]
    stray = Verb("posts", "status.get", posts.GetStatuses, posts.Statuses, kind="read")
    with pytest.raises(ValueError, match="not declared"):
        host.serve(stray, answer)  # type: ignore[arg-type]


def test_a_host_refuses_a_verb_served_twice() -> None:
    host = ServiceHost(StandIn(), fanout.VERBS)  # type: ignore[arg-type]
    host.serve(fanout.HOME_REBUILD, answer)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="served twice"):
        host.serve(fanout.HOME_REBUILD, answer)  # type: ignore[arg-type]


async def test_a_host_missing_a_verb_does_not_start() -> None:
    host = ServiceHost(StandIn(), notify.VERBS)  # type: ignore[arg-type]
    host.serve(notify.MARKERS_GET, answer)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="notification.list"):
        host.check_complete()
    with pytest.raises(RuntimeError):  # before it asks NATS for anything
        await host.start()


# Verbs that are set-like: sent again after no answer with no idempotency key. Each applied
# twice leaves what applying it once does and answers the same (an insert ON CONFLICT DO
# NOTHING whose event goes out only when the row is new, a delete of what may be gone, a put).
SET_LIKE = {
    "posts": {"favourite.add", "favourite.remove", "bookmark.add", "bookmark.remove"},
    "notify": {"thread.mute", "thread.unmute"},
    "graph": {"account.note.set"},
    "fanout": {"home.rebuild"},
}


def test_every_verb_says_whether_it_may_be_sent_twice() -> None:
    for contract in CONTRACTS:
        for verb in contract.VERBS:
            assert verb.kind in ("read", "idempotent", "write"), verb
            # A write without a key is never sent again; with one, the service dedupes it.
            assert verb.retryable_without_key == (verb.kind != "write"), verb


def test_the_set_like_verbs_are_the_reviewed_ones() -> None:
    """A verb marked set-like skips the key table: each was read and found idempotent (above).
    Marking another one so needs the same review."""
    for contract in CONTRACTS:
        marked = {verb.name for verb in contract.VERBS if verb.kind == "idempotent"}
        assert marked == SET_LIKE.get(contract.VERBS.service, set()), contract.VERBS.service


def test_the_writes_that_must_be_applied_once_are_writes() -> None:
    writes = {(verb.service, verb.name) for contract in CONTRACTS for verb in contract.VERBS
              if verb.kind == "write"}
    for name in ("status.create", "status.edit", "status.delete", "reblog.add", "reblog.remove",
                 "media.create", "poll.vote", "scheduled_status.create"):
        assert ("posts", name) in writes
    for name in ("follow.create", "follow.remove", "block.add", "block.remove", "mute.add",
                 "mute.remove", "list.save", "list.add_members", "community.join",
                 "community.leave", "account.create", "report.create"):
        assert ("graph", name) in writes
    for name in ("notification.dismiss", "push.subscribe", "webhook.create"):
        assert ("notify", name) in writes


def test_a_verb_must_be_classified() -> None:
    verbs = VerbSet("posts")
    with pytest.raises(ValueError, match="unknown kind"):
        verbs.declare("status.get", posts.GetStatuses, posts.Statuses,
                      kind="maybe")  # type: ignore[arg-type]
