"""Prometheus series that ops teams watch (deploy/grafana, deploy/prometheus): they move when
requests are served, posts reach readers' sockets, and consumers fall behind."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from services.fanout.lag import ConsumerLag
from tests.helpers import Api
from tests.helpers.streaming import next_event, subscribe, ws_url


async def _scrape(api: Api) -> tuple[dict[tuple[str, frozenset[tuple[str, str]]], float], str]:
    r = await api.client.get("/metrics")
    assert r.status_code == 200
    values = {(sample.name, frozenset(sample.labels.items())): sample.value
              for family in text_string_to_metric_families(r.text)
              for sample in family.samples}
    return values, r.text


def _value(values: dict, name: str, **labels: str) -> float:
    return values.get((name, frozenset(labels.items())), 0.0)


async def test_request_latency_is_counted_by_route_template(api: Api) -> None:
    me = await api.user()
    labels = {"route": "/api/v1/statuses/{status_id}", "method": "GET", "status_class": "4xx"}
    before, _ = await _scrape(api)
    assert (await api.client.get("/api/v1/statuses/98765", headers=me.headers)).status_code == 404
    after, _text = await _scrape(api)
    name = "hubbub_http_request_seconds_count"
    assert _value(after, name, **labels) == _value(before, name, **labels) + 1
    # No raw path in any label (a sample's value may hold the digits by chance: a timestamp).
    assert not [labels for _name, labels in after for _key, value in labels if "98765" in value]


async def test_the_home_timeline_served_in_front_of_the_framework_is_counted(api: Api) -> None:
    me = await api.user()
    labels = {"route": "/api/v1/timelines/home", "method": "GET", "status_class": "2xx"}
    before, _ = await _scrape(api)
    assert (await api.client.get("/api/v1/timelines/home", headers=me.headers)
            ).status_code == 200
    after, _ = await _scrape(api)
    name = "hubbub_http_request_seconds_count"
    assert _value(after, name, **labels) == _value(before, name, **labels) + 1


async def test_delivery_latency_counts_a_post_written_to_a_readers_socket(api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    async with connect(ws_url(api), additional_headers=reader.headers, proxy=None) as ws:
        await subscribe(ws, "user")
        before, _ = await _scrape(api)
        status = await api.post(author, "on its way")
        event = await next_event(ws)
        assert event["event"] == "update" and status["id"] in event["payload"]
    after, _ = await _scrape(api)
    name = "hubbub_delivery_seconds"
    assert _value(after, f"{name}_count") >= _value(before, f"{name}_count") + 1
    assert _value(after, f"{name}_sum") > _value(before, f"{name}_sum")
    # A fresh post on a local stack: well inside the objective the alert rule holds it to.
    assert _value(after, f"{name}_bucket", le="1.0") >= _value(before, f"{name}_bucket",
                                                               le="1.0") + 1


async def test_consumer_lag_is_reported_per_durable(api: Api) -> None:
    await api.idle()
    await ConsumerLag(api.stack.nc.jetstream()).refresh()
    values, _ = await _scrape(api)
    for durable in ("fanout-home", "notify"):
        assert ("hubbub_consumer_pending_messages", frozenset({("consumer", durable)})) in values
        assert _value(values, "hubbub_consumer_pending_messages", consumer=durable) == 0
        assert _value(values, "hubbub_consumer_ack_pending_messages", consumer=durable) == 0


async def test_request_retries_are_exposed(api: Api) -> None:
    _, text = await _scrape(api)
    assert "# TYPE hubbub_request_retries_total counter" in text
