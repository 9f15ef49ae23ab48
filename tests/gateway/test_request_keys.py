"""A write sent twice with one idempotency key is applied once and answered the same, in each
service that keeps keys (posts, graph, notify): what makes the gateway's retries safe."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
import pytest

from shared import bus, errors, request_keys
from shared.contracts import lists as lists_api
from shared.contracts import notify as notify_api
from shared.contracts import posts as posts_api
from shared.contracts.graph import LIST_SAVE
from shared.contracts.verb import Verb
from shared.request_keys import RequestKeys
from shared.service_host import ServiceHost
from tests.helpers import Api, unique
from tests.helpers.replicas import host_of, stopped_host


@contextmanager
def one_key(base: str) -> Iterator[None]:
    """A request scope whose first write call's key is ``<base>:1``: entering it twice sends
    the same key, as the gateway's retry (or the client's replay) does."""
    token = request_keys.begin(base)
    try:
        yield
    finally:
        request_keys.end(token)


async def twice(nc: Any, verb: Any, payload: Any) -> tuple[Any, Any]:
    base = unique("key")
    with one_key(base):
        first = await bus.call(nc, verb, payload)
    with one_key(base):
        again = await bus.call(nc, verb, payload)
    return first, again


async def test_a_status_deleted_twice_with_one_key_answers_the_same(api: Api) -> None:
    me = await api.user()
    status = await api.post(me, "delete me once")
    delete = posts_api.DeleteStatus(account_id=int(me.id), status_id=int(status["id"]))
    first, again = await twice(api.stack.nc, posts_api.STATUS_DELETE, delete)
    assert first == again
    # Without the key, the second one is a second request: the status is gone.
    with pytest.raises(errors.NotFound):
        await bus.call(api.stack.nc, posts_api.STATUS_DELETE, delete)


async def test_a_reblog_sent_twice_with_one_key_is_one_reblog(api: Api) -> None:
    me, them = await api.user(), await api.user()
    status = await api.post(them, "reblog me once")
    network_id = await api.stack.graph.pool.fetchval(
        "SELECT network_id FROM accounts WHERE id = $1", int(me.id))
    first, again = await twice(api.stack.nc, posts_api.REBLOG_ADD, posts_api.Reblog(
        account_id=int(me.id), status_id=int(status["id"]), network_id=network_id))
    assert first.id == again.id
    assert await api.stack.posts.pool.fetchval(
        "SELECT count(*) FROM statuses WHERE reblog_of_id = $1", int(status["id"])) == 1


async def test_a_list_made_twice_with_one_key_is_one_list(api: Api) -> None:
    me = await api.user()
    first, again = await twice(api.stack.nc, LIST_SAVE,
                               lists_api.SaveList(account_id=int(me.id), title="Once"))
    assert first.id == again.id
    r = await api.client.get("/api/v1/lists", headers=me.headers)
    assert [item["id"] for item in r.json()] == [str(first.id)]


async def test_markers_set_twice_with_one_key_answer_the_same(api: Api) -> None:
    me = await api.user()
    status = await api.post(me, "read up to here")
    first, again = await twice(api.stack.nc, notify_api.MARKERS_SET, notify_api.SetMarkers(
        account_id=int(me.id), positions={"home": int(status["id"])}))
    assert first == again
    taken = await api.stack.notify.pool.fetchval(
        "SELECT count(*) FROM request_keys WHERE verb = 'markers.set' AND key LIKE 'key%'")
    assert taken >= 1


async def send(api: Api, base: str, payload: Any) -> Any:
    with one_key(base):
        return await bus.call(api.stack.nc, posts_api.STATUS_DELETE, payload)


async def test_one_key_sent_twice_at_once_is_applied_once_and_answered_alike(api: Api) -> None:
    """The gateway gave up on a slow first run and asked again while it was still working: the
    two runs race. Whichever commits first is the answer; the other, refused by what the first
    did (the status is gone) or by the key at its commit, answers with the first's answer."""
    me = await api.user()
    for n in range(5):
        status = await api.post(me, f"delete me once, at once {n}")
        delete = posts_api.DeleteStatus(account_id=int(me.id), status_id=int(status["id"]))
        base = unique("key")

        first, again = await asyncio.gather(send(api, base, delete), send(api, base, delete))
        assert first == again


async def test_a_run_refused_by_what_a_concurrent_run_did_answers_with_that_runs_answer(
        api: Api) -> None:
    """Deterministic form of the race above: while this run works, the other run of the same
    request commits (it deletes the status, takes the key, records its answer). This run is then
    refused (the status is gone): it answers with the other run's answer, not with 404."""
    me = await api.user()
    status = await api.post(me, "deleted by the other run")
    delete = posts_api.DeleteStatus(account_id=int(me.id), status_id=int(status["id"]))
    base = unique("key")
    posts = api.stack.posts
    real = host_of(posts)
    nc = await bus.connect(api.stack.settings, "hubbub-posts-racing", user="posts", attempts=3)
    host = ServiceHost(nc, real.verbs, keys=RequestKeys(posts.pool))
    answers: list[Any] = []

    def racing(handler: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
        async def handle(payload: Any) -> Any:
            token = request_keys.claiming(None)  # the other run, all of it, under its own
            try:
                answers.append(await handler(payload))
            finally:
                request_keys.release(token)
            await posts.pool.execute(
                "INSERT INTO request_keys (key, verb, owner, reply) "
                "VALUES ($1, 'status.delete', gen_random_uuid(), $2)",
                f"{base}:1", msgspec.json.encode(answers[0]))
            return await handler(payload)  # this run: NotFound
        return handle

    for endpoint in real._endpoints.values():
        host.serve(endpoint.verb, racing(endpoint.handler)
                   if endpoint.verb is posts_api.STATUS_DELETE else endpoint.handler)
    try:
        async with stopped_host(posts):
            await host.start()
            with one_key(base):
                answer = await bus.call(api.stack.nc, posts_api.STATUS_DELETE, delete)
    finally:
        await host.stop()
        await nc.close()
    assert answer == answers[0]


@contextmanager
def fresh_key(base: str) -> Iterator[None]:
    """A scope as the gateway opens for a request without a client's Idempotency-Key."""
    token = request_keys.begin(base, fresh=True)
    try:
        yield
    finally:
        request_keys.end(token)


async def test_a_fresh_keys_first_attempt_does_not_look_for_a_recorded_answer(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key made for this very request cannot have run before: its first attempt skips the
    read of request_keys; a client's key (or a retry) reads it."""
    keys = host_of(api.stack.graph).keys
    assert keys is not None
    looked_up: list[str] = []
    answer = keys.answer

    async def counting(key: str, verb: str) -> Any:
        looked_up.append(key)
        return await answer(key, verb)

    monkeypatch.setattr(keys, "answer", counting)
    me = await api.user()
    save = lists_api.SaveList(account_id=int(me.id), title="Made under one key")
    base = unique("fresh")
    with fresh_key(base):
        first = await bus.call(api.stack.nc, LIST_SAVE, save)
    assert looked_up == []
    assert await api.stack.graph.pool.fetchval(
        "SELECT reply IS NOT NULL FROM request_keys WHERE key = $1", f"{base}:1")
    with one_key(base):  # a client's key (or a retry): answered from the record
        assert (await bus.call(api.stack.nc, LIST_SAVE, save)).id == first.id
    assert looked_up == [f"{base}:1"]


async def test_a_status_sent_twice_with_one_key_is_one_status_and_records_no_answer(
        api: Api) -> None:
    """status.create applies its key itself (Verb.dedupes_itself): the key goes into the
    status's idempotency row, in the status's own statement, and a repeat (even one sent as a
    first run) answers with that status. No answer is looked up or recorded for it."""
    me = await api.user()
    network_id = await api.stack.graph.pool.fetchval(
        "SELECT network_id FROM accounts WHERE id = $1", int(me.id))
    create = posts_api.CreateStatus(account_id=int(me.id), network_id=network_id,
                                    text="posted under one key")
    base = unique("own")
    with fresh_key(base):
        first = await bus.call(api.stack.nc, posts_api.STATUS_CREATE, create)
    for scope in (fresh_key, one_key):
        with scope(base):
            assert (await bus.call(api.stack.nc, posts_api.STATUS_CREATE, create)).id == first.id
    assert await api.stack.posts.pool.fetchval(
        "SELECT count(*) FROM request_keys WHERE key = $1", f"{base}:1") == 0
    assert await api.stack.posts.pool.fetchval(
        "SELECT count(*) FROM statuses WHERE account_id = $1", int(me.id)) == 1
    # Without a key it is sent once, and each is a status of its own.
    assert (await bus.call(api.stack.nc, posts_api.STATUS_CREATE, create)).id != first.id


async def test_a_clients_idempotency_key_still_wins_over_the_requests(api: Api) -> None:
    """A client's Idempotency-Key dedupes across its HTTP requests (each has keys of its own)."""
    me = await api.user()
    headers = {**me.headers, "Idempotency-Key": unique("client")}
    sent = [await api.client.post("/api/v1/statuses", headers=headers, json={"status": "once"})
            for _ in range(2)]
    assert [r.status_code for r in sent] == [200, 200]
    assert sent[0].json()["id"] == sent[1].json()["id"]


async def test_only_the_first_attempt_of_a_fresh_key_says_it_is_the_first_run(api: Api) -> None:
    """A retry may follow a first attempt that was applied: it must look for its answer."""
    verb = Verb(unique("svc"), "probe", posts_api.DeleteStatus, posts_api.DeleteStatus,
                kind="write")
    seen: list[dict[str, str]] = []

    async def answer_the_second(msg: Any) -> None:
        seen.append(dict(msg.headers or {}))
        if len(seen) > 1:
            await msg.respond(msg.data)  # the first goes unanswered: the caller retries

    sub = await api.stack.nc.subscribe(verb.subject, cb=answer_the_second)
    try:
        with fresh_key(unique("fresh")):
            await bus.call(api.stack.nc, verb, posts_api.DeleteStatus(account_id=1, status_id=2),
                           timeout=6)
        with one_key(unique("client")):
            await bus.call(api.stack.nc, verb, posts_api.DeleteStatus(account_id=1, status_id=2),
                           timeout=6)
    finally:
        await sub.unsubscribe()
    assert [h.get(request_keys.FIRST_RUN_HEADER) for h in seen] == ["1", None, None]
    assert len({h[request_keys.KEY_HEADER] for h in seen}) == 2  # the same key when retried
