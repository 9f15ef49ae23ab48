"""The listening half of ``hubbub bench live``, run as its own process so that receiving
thousands of WebSocket events does not delay the poster's clock (and the other way round).

    python -m loadtests.live_listener INPUT.json OUTPUT.json

INPUT holds the streaming URL, the users (id and token) and how long to listen; OUTPUT gets,
per status id, each reader's arrival time (time.time(), comparable across processes): the time
the event came off the reader's socket (loadtests/ws_client.py), so that the listener's own work
on 1,000 connections does not count as delivery latency.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import msgspec
import uvloop

from loadtests.nats_tap import tap
from loadtests.ws_client import connect


class Event(msgspec.Struct):
    event: str = ""
    payload: str = ""


class Status(msgspec.Struct):
    id: str


# msgspec reads only the fields named above: the listener's parsing cost stays small beside what
# it times (the stdlib json module took a fifth of its CPU).
decode_event = msgspec.json.Decoder(Event).decode
decode_status = msgspec.json.Decoder(Status).decode


class Traced(msgspec.Struct):
    status_id: int | None = None


decode_traced = msgspec.json.Decoder(Traced).decode


async def trace(nats_url: str | list[str], seen: dict[str, list[float]]):
    """With ``--trace``: when each status's event reached JetStream (the outbox relay published
    it), and when fanout's first and last live message for it went out, to tell the hops apart.
    Returns the connection (closed by the caller)."""

    def on_message(subject: bytes, payload: bytes, now: float) -> None:
        status_id = decode_traced(payload).status_id
        if status_id is None:
            return
        times = seen.setdefault(str(status_id), [0.0, 0.0, 0.0])
        if subject.startswith(b"hubbub.evt."):
            times[0] = now
        else:
            times[1] = times[1] or now
            times[2] = now

    nc = await tap(nats_url, on_message)
    # (the subject's last tokens are the event's facets: shared/subjects.py)
    await nc.subscribe("hubbub.evt.post.status.created.>")
    await nc.subscribe("hubbub.live.user.>")
    await nc.subscribe("hubbub.live.users")  # fanout's batches (status_id read the same way)
    return nc


async def listen(spec: dict) -> dict:
    # Kept as they come and decoded after the run: decoding an event where it arrives (~20 us)
    # delayed the reads of the other connections ready in the same loop turn, so a post to
    # 1,000 readers measured the listener's own decoding in its last readers' latency.
    received: list[tuple[str, bytes, float]] = []
    ready_file = spec["ready_file"]

    def receiver(reader: str):
        def on_text(raw: bytes, now: float) -> None:
            received.append((reader, raw, now))

        return on_text

    sockets = []
    users = spec["users"]
    for start in range(0, len(users), 250):
        chunk = users[start:start + 250]
        sockets += await asyncio.gather(*(connect(
            f"{spec['ws_url']}?stream=user",
            {"Authorization": f"Bearer {u['token']}"}, receiver(str(u["id"]))) for u in chunk))
    traced: dict[str, list[float]] = {}
    tracer = await trace(spec["nats_url"], traced) if spec.get("nats_url") else None
    Path(ready_file).write_text("ready")  # noqa: ASYNC240 (once, before the clock starts)
    # Listen until the poster says it is done, then for the tail (deliveries still in flight).
    done = Path(spec["done_file"])
    while not done.exists():  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    await asyncio.sleep(spec["tail_seconds"])
    closed_early = sum(1 for s in sockets if not s.is_open)
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    if tracer is not None:
        await tracer.close()
    arrivals: dict[str, dict[str, float]] = {}
    for reader, raw, now in received:
        event = decode_event(raw)
        if event.event == "update":
            arrivals.setdefault(decode_status(event.payload).id, {})[reader] = now
    return {"arrivals": arrivals, "closed_early": closed_early, "trace": traced}


def main() -> int:
    spec = json.loads(open(sys.argv[1]).read())
    result = uvloop.run(listen(spec))
    with open(sys.argv[2], "w") as out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
