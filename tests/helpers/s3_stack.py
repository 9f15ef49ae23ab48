"""A whole Hubbub stack whose media live in S3 (a SeaweedFS server, tests/helpers/s3_server.py),
beside the session's stack, which keeps them in its data folder.

    async with stack_on_s3(settings, s3_server) as s3_stack:   # tests.conftest.Stack
        ...

It runs on servers of its own (NATS, PostgreSQL, Valkey, started here, stopped on the way out):
two stacks on one NATS would share the durable consumers and the services' queue groups, so the
session stack's media worker would take this stack's uploads and find no file in its folder.
Everything else is the session's settings (rate limits, retries, the tests' OIDC over http).

Start the session stack first (the ``stack`` fixture): the services of both stacks share one
process-wide worker-id lease (shared/worker_lease.py), taken by whichever stack starts first
from its own PostgreSQL. Taken from this stack's, it would be lost when this stack's servers
stop, and the session stack could mint no more ids.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import msgspec

from shared import infra
from shared.settings import DEFAULT_PORTS, Settings
from tests.conftest import Stack
from tests.helpers.s3_server import S3Server


def own_servers(session: Settings, folder: Path) -> Settings:
    """The session's settings with no server named (start_missing starts them) and a data
    folder and gateway port of their own."""
    ports = {name: 0 for name in DEFAULT_PORTS}
    ports["gateway"] = infra.free_port()
    return msgspec.structs.replace(
        session, nats_url="", database_url="", redis_url="", migration_database_url="",
        service_database_urls={}, service_redis_urls={}, data_dir=str(folder), ports=ports,
        public_url="")


@asynccontextmanager
async def stack_on_s3(session: Settings, s3: S3Server) -> AsyncIterator[Stack]:
    folder = Path(tempfile.mkdtemp(prefix="hubbub-s3-stack-"))
    try:
        settings, embedded = await asyncio.to_thread(
            infra.start_missing, own_servers(session, folder), folder, preferred_ports={})
        try:
            stack = Stack(s3.settings(settings))
            try:
                await stack.start()
                yield stack
            finally:
                await stack.stop()
        finally:
            await asyncio.to_thread(embedded.stop)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
