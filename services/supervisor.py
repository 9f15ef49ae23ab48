"""``hubbub up``: embedded servers where none is configured, migrations, then every service as
its own process with prefixed logs; Ctrl-C stops all of it, servers included.

A service that exits unexpectedly is restarted with backoff (it would be by Kubernetes or
compose too), so one crash does not take the rest down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time

from shared import db, infra
from shared.settings import SERVICES, Settings, server_env

log = logging.getLogger("hubbub.up")

COLORS = {"gateway": 36, "posts": 32, "graph": 35, "fanout": 33, "notify": 34}


def _prefix(name: str) -> str:
    if sys.stdout.isatty():
        return f"\x1b[{COLORS.get(name, 37)}m{name:>8} |\x1b[0m "
    return f"{name:>8} | "


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.pump: asyncio.Task[None] | None = None
        self.restarts = 0

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.cli", "service", self.name,
            env=self.env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL, start_new_session=True,
            preexec_fn=infra.die_with_parent,
        )
        self.pump = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        assert self.proc and self.proc.stdout
        prefix = _prefix(self.name)
        while line := await self.proc.stdout.readline():
            sys.stdout.write(prefix + line.decode(errors="replace"))
            sys.stdout.flush()

    async def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
        if self.pump:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.pump, 2)


async def _wait_ready(url: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ok = await asyncio.to_thread(infra._http_ok, url)
        if ok:
            return True
        await asyncio.sleep(0.2)
    return False


def up(settings: Settings) -> int:
    print(f"hubbub: data in {os.path.abspath(settings.data_dir)}", flush=True)
    # Servers start from the main thread: Linux sends the parent-death signal when the thread
    # that started a child exits, and the main thread lives exactly as long as we do.
    settings, embedded = infra.start_missing(settings)
    try:
        for server in embedded.servers:
            print(f"hubbub: {server.name} (embedded) at {server.url}", flush=True)
        return asyncio.run(_run_services(settings))
    except KeyboardInterrupt:
        return 0
    finally:
        embedded.stop()
        print("hubbub: stopped", flush=True)


async def _run_services(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    processes: list[ServiceProcess] = []
    try:
        applied = await db.migrate_all(settings)
        count = sum(len(v) for v in applied.values())
        print(f"hubbub: migrations applied: {count}", flush=True)
        # Each child with only its own database role and Valkey user: nothing of ours inherited.
        inherited = {k: v for k, v in os.environ.items()
                     if k != "HUBBUB_MIGRATION_DATABASE_URL"}
        for name in SERVICES:
            env = {**inherited, **server_env(settings, name), "PYTHONUNBUFFERED": "1"}
            process = ServiceProcess(name, env)
            await process.start()
            processes.append(process)
        ready = asyncio.create_task(_wait_ready(f"{settings.base_url}/readyz"))
        watcher = asyncio.create_task(_watch(processes, stop))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({ready, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if ready in done and ready.result():
            print(f"hubbub: ready at {settings.base_url}  (Ctrl-C stops everything)", flush=True)
        await stopper
        watcher.cancel()
        ready.cancel()
        print("hubbub: stopping", flush=True)
        return 0
    finally:
        await asyncio.gather(*(p.stop() for p in processes), return_exceptions=True)


async def _watch(processes: list[ServiceProcess], stop: asyncio.Event) -> None:
    """Restart a service that died on its own, with a growing delay."""
    while not stop.is_set():
        await asyncio.sleep(0.5)
        for process in processes:
            if process.proc and process.proc.returncode is not None and not stop.is_set():
                process.restarts += 1
                delay = min(2 ** process.restarts, 30)
                print(f"hubbub: {process.name} exited ({process.proc.returncode}); "
                      f"restarting in {delay}s", flush=True)
                await asyncio.sleep(delay)
                if not stop.is_set():
                    await process.start()
