"""A small closed-loop HTTP/1.1 load generator: N keep-alive connections, each sending the next
request when the previous answer is complete. Raw asyncio sockets keep the client cheap enough
that a Python load generator can push a Python server on the same 2-core machine."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response: its status and body (content-length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
        parts.append((await reader.readexactly(size + 2))[:-2])
    await reader.readexactly(2)
    return status, b"".join(parts)


def request_bytes(method: str, host: str, port: int, path: str,
                  headers: dict[str, str] | None = None, body: bytes = b"",
                  content_type: str = "application/json") -> bytes:
    """One HTTP/1.1 request, ready for the wire (a body gets its type and length)."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    if body:
        extra += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    elif method != "GET":
        extra += "Content-Length: 0\r\n"
    return f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode() + body


# The n-th request of a run (its bytes), and what to do with its answer (n, status, body).
NextRequest = Callable[[int], bytes]
OnAnswer = Callable[[int, int, bytes], None]


async def run_load(host: str, port: int, path: str, *, seconds: float, connections: int,
                   headers: dict[str, str] | None = None) -> LoadResult:
    request = request_bytes("GET", host, port, path, headers)
    return await run_closed(host, port, lambda _: request, seconds=seconds,
                            connections=connections)


async def run_closed(host: str, port: int, next_request: NextRequest, *, seconds: float,
                     connections: int, answered: OnAnswer | None = None) -> LoadResult:
    """The closed loop itself: each connection sends ``next_request(n)`` (n counts the run's
    requests) when its previous answer is complete; ``answered`` sees each answer."""
    result = LoadResult()
    deadline = time.perf_counter() + seconds
    sent = 0

    async def worker() -> None:
        nonlocal sent
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                n, sent = sent, sent + 1
                writer.write(next_request(n))
                status, body = await read_response(reader)
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                if answered is not None:
                    answered(n, status, body)
                if status == 200:
                    result.requests += 1
                else:
                    result.errors += 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - began
    return result
