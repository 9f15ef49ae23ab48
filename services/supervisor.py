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
from dataclasses import dataclass

import msgspec

from shared import db, infra
from shared.settings import SERVICES, Settings, server_env

log = logging.getLogger("hubbub.up")

# The cluster mode's second process of a service prefers its first one's port plus this.
REPLICA_PORT_STEP = 100
COLORS = {"gateway": 36, "posts": 32, "graph": 35, "fanout": 33, "notify": 34}


def _prefix(name: str, label: str) -> str:
    if sys.stdout.isatty():
        return f"\x1b[{COLORS.get(name, 37)}m{label:>9} |\x1b[0m "
    return f"{label:>9} | "


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str], label: str = "") -> None:
        self.name = name
        self.label = label or name  # the log prefix: "posts", or "posts#2" in the cluster mode
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
        prefix = _prefix(self.name, self.label)
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


@dataclass(frozen=True)
class Replica:
    """One service process: which service, its label in the logs, its HTTP port."""

    service: str
    label: str
    port: int


def replicas_of(settings: Settings, count: int) -> list[Replica]:
    """``count`` processes of every service. The first of each keeps its configured port when
    free; the others prefer that port plus a multiple of REPLICA_PORT_STEP (8080, 8180 for the
    gateways) and take any free port otherwise."""
    if count == 1:
        return [Replica(name, name, settings.port(name)) for name in SERVICES]
    found: list[Replica] = []
    taken: set[int] = set()
    for name in SERVICES:
        for index in range(count):
            port = infra.pick_port(settings.port(name) + index * REPLICA_PORT_STEP)
            while port in taken:
                port = infra.free_port()
            taken.add(port)
            found.append(Replica(name, f"{name}#{index + 1}", port))
    return found


def up(settings: Settings, *, cluster: bool = False) -> int:
    if cluster:
        return _up_cluster(settings)
    print(f"hubbub: data in {os.path.abspath(settings.data_dir)}", flush=True)
    # Servers start from the main thread: Linux sends the parent-death signal when the thread
    # that started a child exits, and the main thread lives exactly as long as we do.
    settings, embedded = infra.start_missing(settings)
    try:
        for server in embedded.servers:
            print(f"hubbub: {server.name} (embedded) at {server.url}", flush=True)
        return asyncio.run(_run_services(settings, replicas_of(settings, 1)))
    except KeyboardInterrupt:
        return 0
    finally:
        embedded.stop()
        print("hubbub: stopped", flush=True)


def _up_cluster(settings: Settings) -> int:
    """The servers' own cluster modes (shared/infra_cluster.py) and two processes of every
    service, each told to use them: every NATS node, R3 streams, the multi-host database URL
    and the Valkey Cluster."""
    from shared import infra_cluster

    print(f"hubbub: cluster data in {os.path.abspath(infra_cluster.cluster_data_dir(settings))}",
          flush=True)
    extra = infra_cluster.cluster_env(settings)
    settings, embedded, where = infra_cluster.start_cluster(settings)
    try:
        for line in infra_cluster.describe(where):
            print(f"hubbub: {line}", flush=True)
        replicas = replicas_of(settings, infra_cluster.SERVICE_REPLICAS)
        gateways = [r for r in replicas if r.service == "gateway"]
        settings = msgspec.structs.replace(
            settings, ports={**settings.ports, "gateway": gateways[0].port})
        for replica in replicas:
            what = "the API" if replica.service == "gateway" else "/healthz, /readyz, /metrics"
            print(f"hubbub: {replica.label} on http://{settings.host}:{replica.port} ({what})",
                  flush=True)
        return asyncio.run(_run_services(settings, replicas, extra))
    except KeyboardInterrupt:
        return 0
    finally:
        embedded.stop()
        print("hubbub: stopped", flush=True)


async def _run_services(settings: Settings, replicas: list[Replica],
                        extra_env: dict[str, str] | None = None) -> int:
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
        # HUBBUB_PORT would override each gateway's own HUBBUB_GATEWAY_PORT (server_env has it).
        inherited = {k: v for k, v in os.environ.items()
                     if k not in ("HUBBUB_MIGRATION_DATABASE_URL", "HUBBUB_PORT")}
        for replica in replicas:
            env = {**inherited, **server_env(settings, replica.service), **(extra_env or {}),
                   f"HUBBUB_{replica.service.upper()}_PORT": str(replica.port),
                   "PYTHONUNBUFFERED": "1"}
            process = ServiceProcess(replica.service, env, replica.label)
            await process.start()
            processes.append(process)
        urls = [f"http://{settings.host}:{r.port}" for r in replicas if r.service == "gateway"]
        if len(urls) == 1:
            urls = [settings.base_url]
        ready = asyncio.create_task(_all_ready([f"{url}/readyz" for url in urls]))
        watcher = asyncio.create_task(_watch(processes, stop))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({ready, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if ready in done and ready.result():
            where = urls[0] if len(urls) == 1 else " and ".join(urls)
            print(f"hubbub: ready at {where}  (Ctrl-C stops everything)", flush=True)
        await stopper
        watcher.cancel()
        ready.cancel()
        print("hubbub: stopping", flush=True)
        return 0
    finally:
        # Services first, then (in the caller) the servers they were using.
        await asyncio.gather(*(p.stop() for p in processes), return_exceptions=True)


async def _all_ready(urls: list[str]) -> bool:
    return all(await asyncio.gather(*(_wait_ready(url) for url in urls)))


async def _watch(processes: list[ServiceProcess], stop: asyncio.Event) -> None:
    """Restart a service that died on its own, with a growing delay."""
    while not stop.is_set():
        await asyncio.sleep(0.5)
        for process in processes:
            if process.proc and process.proc.returncode is not None and not stop.is_set():
                process.restarts += 1
                delay = min(2 ** process.restarts, 30)
                print(f"hubbub: {process.label} exited ({process.proc.returncode}); "
                      f"restarting in {delay}s", flush=True)
                await asyncio.sleep(delay)
                if not stop.is_set():
                    await process.start()
