"""The listening half of ``hubbub bench live``, run as its own process so that receiving
thousands of WebSocket events does not delay the poster's clock (and the other way round).

    python -m loadtests.live_listener INPUT.json OUTPUT.json

INPUT holds the streaming URL, the users (id and token) and how long to listen; OUTPUT gets,
per status id, each reader's arrival time (time.time(), comparable across processes).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from websockets.asyncio.client import connect


async def listen(spec: dict) -> dict:
    arrivals: dict[str, dict[str, float]] = {}
    ready_file = spec["ready_file"]

    async def one(user: dict, ws) -> None:
        try:
            async for raw in ws:
                now = time.time()
                event = json.loads(raw)
                if event.get("event") == "update":
                    status_id = json.loads(event["payload"])["id"]
                    arrivals.setdefault(status_id, {})[str(user["id"])] = now
        except Exception:  # closed at the end
            pass

    sockets = []
    users = spec["users"]
    for start in range(0, len(users), 250):
        chunk = users[start:start + 250]
        sockets += await asyncio.gather(*(connect(
            f"{spec['ws_url']}?stream=user", proxy=None, ping_interval=None, open_timeout=60,
            additional_headers={"Authorization": f"Bearer {u['token']}"}) for u in chunk))
    tasks = [asyncio.create_task(one(u, s)) for u, s in zip(users, sockets, strict=True)]
    Path(ready_file).write_text("ready")  # noqa: ASYNC240 (once, before the clock starts)
    # Listen until the poster says it is done, then for the tail (deliveries still in flight).
    done = Path(spec["done_file"])
    while not done.exists():  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    await asyncio.sleep(spec["tail_seconds"])
    closed_early = sum(1 for s in sockets if s.close_code is not None)
    for s in sockets:
        await s.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"arrivals": arrivals, "closed_early": closed_early}


def main() -> int:
    spec = json.loads(open(sys.argv[1]).read())
    result = asyncio.run(listen(spec))
    with open(sys.argv[2], "w") as out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
