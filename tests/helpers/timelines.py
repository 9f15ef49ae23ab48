"""Helpers for the timeline tests: raw read models, page walking, a lowered fanout threshold."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import nats
import pytest

from shared import events
from shared.ids import member_id
from shared.nats_users import operator_url
from shared.records import home_key
from tests.helpers import Api, User

LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


async def zset(api: Api, key: str) -> list[str]:
    """A timeline as Redis holds it, newest first: proof, not rendering."""
    raw = await api.stack.fanout.redis.main.zrange(key, 0, -1)  # reversed ids: newest first
    return [str(member_id(m)) for m in raw]


async def home_zset(api: Api, user: User) -> list[str]:
    return await zset(api, home_key(int(user.id)))


async def home_ids(api: Api, user: User, **params: Any) -> list[str]:
    return [s["id"] for s in (await api.home(user, **params)).json()]


def links(response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("link", ""))}


async def walk(api: Api, user: User, limit: int) -> list[str]:
    """Every entry of the home timeline, page by page through the Link header's "next"."""
    seen: list[str] = []
    r = await api.home(user, limit=limit)
    while r.json():
        seen += [s["id"] for s in r.json()]
        r = await api.client.get(links(r)["next"], headers=user.headers)
        assert r.status_code == 200, r.text
    return seen


def lower_threshold(api: Api, monkeypatch: pytest.MonkeyPatch, value: int = 1) -> None:
    """Authors with more than ``value`` followers become "big" (hybrid fanout), in the fanout
    service and in the gateway's home read, for one test."""
    monkeypatch.setattr(api.stack.fanout.statuses, "follower_threshold", value)
    for holder in (api.stack.gateway, api.stack.fanout.rebuilder):
        monkeypatch.setattr(holder, "settings", msgspec.structs.replace(
            holder.settings, fanout_follower_threshold=value))


async def network_of(api: Api, user: User) -> int:
    return await api.stack.graph.pool.fetchval("SELECT network_id FROM accounts WHERE id = $1",
                                               int(user.id))


async def publish(api: Api, *items: tuple[events.Event, str]) -> None:
    """Put events on JetStream directly, in this order, each with its own Nats-Msg-Id (so a
    repeated event is a redelivery, not a duplicate JetStream drops)."""
    nc = await nats.connect(operator_url(api.stack.settings))
    try:
        js = nc.jetstream()
        for event, msg_id in items:
            await js.publish(f"hubbub.evt.{event.type}", events.encode(event),
                             headers={"Nats-Msg-Id": msg_id})
    finally:
        await nc.close()
