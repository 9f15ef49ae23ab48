"""Open-loop requests at a fixed rate, from a process of their own, for as long as a phase
lasts (or for a set number of seconds): the request path's latency while something else loads
the machine, or at a rate of its own.

A closed loop (the next request when the answer comes, loadtests/httpload.py) measures
throughput, and under load it slows its own pace, so that a stall is counted once however many
requests it held up. Here request k of the run is due at k/rate seconds whatever happened before
(over a few keep-alive connections, each taking every n-th slot), and its latency is counted from
when it was due: an answer that comes late delays the requests behind it on its connection, and
they count that too (no coordinated omission). Its own process keeps the benchmark's other work
(sending uploads) off this clock.

The requests are raw HTTP/1.1 requests (``get_request``, or ``http_request`` for a POST with
a body), taken in turn: slot k sends ``requests[k % len(requests)]``, so a caller that mixes
kinds of request knows each sample's kind from its slot.

Samples are (due time as time.time(), latency ms, HTTP status, slot), so that the caller can cut
the run into phases by the wall clock afterwards. With ``seconds``, the slots due from then on
are not sent: the run ends by itself once every earlier one is answered (``wait()``), however
late, so that an overloaded server's lag is counted in full rather than cut off.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import time
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import Protocol

from loadtests.httpload import NextRequest, OnAnswer, read_response, request_bytes

Sample = tuple[float, float, int, int]


class Stop(Protocol):
    def is_set(self) -> bool: ...


async def paced(host: str, port: int, next_request: NextRequest, *, rate: float,
                connections: int, stop: Stop, answered: OnAnswer | None = None,
                seconds: float | None = None) -> list[Sample]:
    """The open loop itself, in the caller's event loop: request ``slot`` (its bytes from
    ``next_request(slot)``) is due at slot/rate seconds, until ``stop`` is set (or, with
    ``seconds``, until the slots due by then are all answered); ``answered`` sees each answer
    (slot, status, body)."""
    samples: list[Sample] = []
    began = time.perf_counter()
    wall = time.time() - began  # perf_counter -> time.time()
    slots = int(seconds * rate) if seconds is not None else None

    async def connection(lane: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        slot = lane
        try:
            while not stop.is_set() and (slots is None or slot < slots):
                due = began + slot / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                request = next_request(slot)
                try:
                    writer.write(request)
                    status, body = await read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    status, body = 0, b""  # an error; a new connection for the next one
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                if answered is not None:
                    answered(slot, status, body)
                samples.append((wall + due, (time.perf_counter() - due) * 1000, status, slot))
                slot += connections
        finally:
            writer.close()

    await asyncio.gather(*(connection(lane) for lane in range(connections)))
    return samples


def _run(host: str, port: int, requests: list[bytes], rate: float, connections: int,
         seconds: float | None, stop: Event, out: Connection) -> None:
    try:
        out.send(asyncio.run(paced(host, port, lambda slot: requests[slot % len(requests)],
                                   rate=rate, connections=connections, stop=stop,
                                   seconds=seconds)))
    except Exception as exc:  # told to the caller, which raises it
        out.send(repr(exc))
    out.close()


def get_request(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    return request_bytes("GET", host, port, path, headers)


class PacedReads:
    """``start()``, then ``stop()`` returns every sample; with ``seconds``, ``wait()`` returns
    them once the run has ended by itself. ``requests`` are taken in turn."""

    def __init__(self, host: str, port: int, requests: list[bytes], *, rate: float,
                 connections: int, seconds: float | None = None) -> None:
        context = multiprocessing.get_context("spawn")  # nothing of the caller's loop
        self.stop_event = context.Event()
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_run, args=(host, port, requests, rate, connections, seconds, self.stop_event,
                              send),
            daemon=True)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def start(self) -> None:
        self.process.start()

    def stop(self, timeout: float = 60.0) -> list[Sample]:
        self.stop_event.set()
        return self.wait(timeout)

    def wait(self, timeout: float) -> list[Sample]:
        """The samples, once the process has sent them (within ``timeout`` seconds)."""
        try:
            got = self.receive.recv() if self.receive.poll(timeout) else "no answer"
        except EOFError:
            got = f"it ended without an answer (exit code {self.process.exitcode})"
        self.process.join(timeout)
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.process.kill()
        if isinstance(got, str):
            raise RuntimeError(f"the paced reader failed: {got}")
        samples: list[Sample] = got
        return samples


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]
