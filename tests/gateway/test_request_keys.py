"""A write sent twice with one idempotency key is applied once and answered the same, in each
service that keeps keys (posts, graph, notify): what makes the gateway's retries safe."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from shared import bus, errors, request_keys
from shared.contracts import lists as lists_api
from shared.contracts import notify as notify_api
from shared.contracts import posts as posts_api
from shared.contracts.graph import LIST_SAVE
from tests.helpers import Api, unique


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
