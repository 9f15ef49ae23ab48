"""Many id-making processes starting at the same moment, for tests/security/test_worker_leases.

``python -m tests.security.lease_holders DATABASE_URL COUNT`` forks COUNT processes (after the
imports, so they start in milliseconds), releases them together, and each takes its worker the
way a service does (``worker_lease.hold``) and mints one id with ``new_id()``. It prints one line
per process, ``<pid> <worker bits of its id>``, then ``held``, while all of them still hold
their lease; closing its stdin lets them release and exit.
"""

from __future__ import annotations

import asyncio
import os
import sys

from shared import worker_lease
from shared.ids import SEQUENCE_BITS, WORKER_MASK, new_id


async def _hold_and_mint(database_url: str, results: int, leave: int) -> None:
    await worker_lease.hold(database_url)
    worker = (new_id() >> SEQUENCE_BITS) & WORKER_MASK
    os.write(results, f"{os.getpid()} {worker}\n".encode())
    # Hold the lease until the parent says so (EOF), so that all of them hold it at once.
    await asyncio.get_running_loop().run_in_executor(None, os.read, leave, 1)
    await worker_lease.release()


def _child(database_url: str, go: int, results: int, leave: int) -> None:
    os.read(go, 1)  # EOF when the parent closes its end: every child starts together
    try:
        asyncio.run(_hold_and_mint(database_url, results, leave))
    except BaseException as exc:  # the parent reports it; a child must never return
        os.write(results, f"{os.getpid()} error {exc!r}\n".encode())
        os._exit(1)
    os._exit(0)


def main(database_url: str, count: int) -> int:
    go_read, go_write = os.pipe()
    results_read, results_write = os.pipe()
    leave_read, leave_write = os.pipe()
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            for fd in (go_write, results_read, leave_write):
                os.close(fd)
            _child(database_url, go_read, results_write, leave_read)
        children.append(pid)
    for fd in (go_read, results_write, leave_read):
        os.close(fd)
    os.close(go_write)
    with os.fdopen(results_read) as results:
        for _ in range(count):
            print(results.readline().strip(), flush=True)
        print("held", flush=True)
        sys.stdin.read()  # until the test closes it
        os.close(leave_write)
        status = 0
        for pid in children:
            _, code = os.waitpid(pid, 0)
            status = status or code
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
