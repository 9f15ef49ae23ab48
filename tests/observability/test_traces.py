"""OpenTelemetry: the spans of one post, from the author's HTTP request through posts, the
outbox relay and fanout to the follower's socket, form one trace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from websockets.asyncio.client import connect

from shared import tracing
from tests.helpers import Api
from tests.helpers.streaming import next_event, subscribe, ws_url


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    try:
        yield exporter
    finally:
        tracing.use_provider(None)
        provider.shutdown()


async def test_one_post_is_one_trace_from_request_to_the_followers_socket(
        api: Api, spans: InMemorySpanExporter) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    await api.idle()
    async with connect(ws_url(api), additional_headers=reader.headers, proxy=None) as ws:
        await subscribe(ws, "user")
        spans.clear()
        status = await api.post(author, "traced")
        event = await next_event(ws)
        assert event["event"] == "update" and status["id"] in event["payload"]
    await api.idle()
    finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.name == "HTTP POST /api/v1/statuses"]
    trace_id = request.context.trace_id
    ours = {s.name for s in finished if s.context.trace_id == trace_id}
    assert {"posts.status.create handle", "fanout-home consume post.status.created",
            "gateway live push"} <= ours, ours
    # The outbox row carried the trace between the write and the relay.
    carried = await api.stack.posts.pool.fetchval(
        "SELECT traceparent FROM outbox WHERE convert_from(payload, 'UTF8') LIKE '%' || $1 || '%' "
        "AND subject LIKE '%post.status.created.%'", status["id"])
    assert carried is not None and carried.split("-")[1] == f"{trace_id:032x}"
    push = [s for s in finished if s.name == "gateway live push"
            and s.context.trace_id == trace_id]
    assert push[0].attributes["hubbub.readers"] >= 1


async def test_off_no_spans_and_no_trace_headers(api: Api) -> None:
    assert tracing.enabled is False and tracing.traceparent() is None
    assert tracing.headers({"a": "b"}) == {"a": "b"}
    me = await api.user()
    status = await api.post(me, "untraced")
    carried = await api.stack.posts.pool.fetch(
        "SELECT traceparent FROM outbox WHERE convert_from(payload, 'UTF8') LIKE '%' || $1 || '%'",
        status["id"])
    assert carried and all(row["traceparent"] is None for row in carried)


async def test_a_callers_traceparent_is_the_requests_parent(
        api: Api, spans: InMemorySpanExporter) -> None:
    given_trace, given_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    r = await api.client.get("/api/v1/instance",
                             headers={"traceparent": f"00-{given_trace}-{given_span}-01"})
    assert r.status_code == 200
    [request] = [s for s in spans.get_finished_spans() if s.name == "HTTP GET /api/v1/instance"]
    assert f"{request.context.trace_id:032x}" == given_trace
    assert request.parent is not None and f"{request.parent.span_id:016x}" == given_span
