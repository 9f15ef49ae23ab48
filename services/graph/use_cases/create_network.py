"""CreateNetwork: an operator makes a company's network (``hubbub network create DOMAIN --admin
EMAIL``, or the first-run setup page while the instance has none), claims its e-mail domain and
invites its first admin, who becomes the network's owner on accepting.

SetUpInstance is the setup page's way in: only with the setup code graph writes to its data
folder at start (SetupCode), and only while no network exists, so that whoever reaches a fresh
server first does not get to make the first network."""

from __future__ import annotations

import hmac
import logging
import os
import re
import secrets
from pathlib import Path

import asyncpg

from services.graph import audit, mail, store
from services.graph.store import membership as membership_store
from services.graph.use_cases.register_account import EMAIL, invitation_digest
from shared import errors
from shared.contracts.membership import InstanceState, NetworkMade, Nothing, SetUpInstance
from shared.credentials import secrets_dir
from shared.ids import new_id
from shared.settings import Settings

log = logging.getLogger(__name__)

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_NAME = 100
OWNER = "owner"
SETUP_CODE_FILE = "setup-code"


def valid_domain(value: str) -> str:
    domain = value.strip().lower().rstrip(".")
    if not DOMAIN.match(domain):
        raise errors.Invalid(f"Validation failed: domain {value[:100]!r} is not a domain name",
                             {"domain": [(errors.INVALID, "is not a domain name")]})
    return domain


class CreateNetwork:
    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = settings

    async def __call__(self, *, domain: str, admin_email: str, name: str = "",
                       conn: asyncpg.Connection | None = None) -> NetworkMade:
        domain = valid_domain(domain)
        admin_email = admin_email.strip()
        if not EMAIL.match(admin_email) or len(admin_email) > 320:
            raise errors.Invalid("Validation failed: admin e-mail is not an e-mail address",
                                 {"admin_email": [(errors.INVALID, "is invalid")]})
        name = name.strip() or domain
        if len(name) > MAX_NAME:
            raise errors.Invalid(f"Validation failed: name must be at most {MAX_NAME} characters")
        if conn is not None:
            return await self._make(conn, domain, admin_email, name)
        async with self.pool.acquire() as own, own.transaction():
            return await self._make(own, domain, admin_email, name)

    async def _make(self, conn: asyncpg.Connection, domain: str, admin_email: str, name: str
                    ) -> NetworkMade:
        network_id = new_id()
        if not await membership_store.insert_network(conn, network_id, domain, name):
            raise errors.Conflict(f"The domain {domain} is claimed by a network already")
        code = secrets.token_urlsafe(24)
        await store.insert_invitation(
            conn, invitation_id=new_id(), network_id=network_id, email=admin_email,
            token_hash=invitation_digest(code), invited_by=None, role=OWNER)
        await mail.send_invitation(conn, self.settings, email=admin_email, invite_code=code,
                                   network_name=name, role=OWNER)
        # The operator acts with no account (the CLI, or the setup page with the setup code).
        await audit.record(conn, network_id=network_id, action="network.created",
                           actor_kind="operator",
                           details={"domain": domain, "name": name, "owner_email": admin_email})
        await audit.record(conn, network_id=network_id, action="domain.claimed",
                           actor_kind="operator", details={"domain": domain})
        return NetworkMade(network_id=network_id, domain=domain, admin_email=admin_email,
                           invite_code=code)


class SetupCode:
    """The first-run setup code: while the instance has no network, a fresh one at each start of
    graph, its digest in the database and the code itself in ``<data_dir>/secrets/setup-code``
    (readable by the operator only; the log names the file, never the code)."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = settings

    @property
    def path(self) -> Path:
        return secrets_dir(Path(self.settings.data_dir)) / SETUP_CODE_FILE

    async def ensure(self) -> None:
        async with self.pool.acquire() as conn:
            if await membership_store.any_network(conn):
                return
            code = secrets.token_urlsafe(18)
            await membership_store.set_setup_code(conn, invitation_digest(code))
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(code + "\n")
        log.warning("no network yet: open %s/setup and enter the setup code from %s, or run "
                    "`hubbub network create DOMAIN --admin EMAIL`",
                    self.settings.base_url.rstrip("/"), path)


class FirstRunSetup:
    def __init__(self, create: CreateNetwork) -> None:
        self.create = create

    async def state(self, _: Nothing) -> InstanceState:
        async with self.create.pool.acquire() as conn:
            return InstanceState(has_networks=await membership_store.any_network(conn))

    async def __call__(self, req: SetUpInstance) -> NetworkMade:
        async with self.create.pool.acquire() as conn, conn.transaction():
            # One setup at a time, and none once a network exists.
            await conn.execute("LOCK TABLE instance_setup IN EXCLUSIVE MODE")
            expected = await membership_store.setup_code_hash(conn)
            if await membership_store.any_network(conn) or expected is None:
                raise errors.Forbidden("This server is set up already: ask its operator")
            given = invitation_digest(req.setup_code.strip())
            if not hmac.compare_digest(given, expected):
                raise errors.Forbidden("The setup code is not right: it is in the server's "
                                       "data folder, secrets/setup-code")
            made = await self.create(domain=req.domain, admin_email=req.admin_email,
                                     name=req.name, conn=conn)
            await membership_store.forget_setup_code(conn)
        return made
