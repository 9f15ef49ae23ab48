"""``hubbub network create DOMAIN --admin EMAIL``: an operator makes a company's network, claims
its domain and invites its first admin (the network's owner). It writes straight to graph's
schema (the invitation mail leaves through graph's outbox once graph runs), so it works whether
or not the services are up.

Where the database is: HUBBUB_DATABASE_URL (graph's role or the owner), or else the embedded
PostgreSQL that `hubbub up` / `make run` runs on this data folder (found through its own
postmaster.pid)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from shared import credentials, db_roles, errors, infra, worker_lease
from shared.settings import Settings


def embedded_graph_url(data_dir: Path) -> str | None:
    """Graph's URL on the embedded PostgreSQL running on this data folder, if one is."""
    pid_file = data_dir / "postgres" / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 4 or not lines[3].strip().isdigit():
        return None
    role = db_roles.runtime_role("graph")
    return credentials.with_user(f"postgresql://127.0.0.1:{lines[3].strip()}/{infra.DATABASE}",
                                 role, credentials.password(data_dir, f"postgres-{role}"))


def database_url(settings: Settings) -> str:
    url = settings.for_service("graph").database_url or embedded_graph_url(
        Path(settings.data_dir).resolve())
    if not url:
        sys.exit("hubbub: no database: set HUBBUB_DATABASE_URL, or start Hubbub (`make run`) "
                 "on this data folder first")
    return url


async def create(settings: Settings, domain: str, admin_email: str, name: str) -> int:
    import asyncpg

    from services.graph.mail import invitation_link
    from services.graph.use_cases.create_network import CreateNetwork

    url = database_url(settings)
    pool = await asyncpg.create_pool(url, min_size=1, max_size=1,
                                     server_settings={"search_path": "graph"})
    await worker_lease.hold(url)  # the ids it makes (network, invitation, audit entries)
    try:
        # The network, its invitation and their events get ids: under a leased worker, like
        # the running services' own (shared/worker_lease.py), so no id collides with theirs.
        async with worker_lease.held(url):
            made = await CreateNetwork(pool, settings)(domain=domain, admin_email=admin_email,
                                                       name=name)
    except errors.HubbubError as error:
        print(f"hubbub: {error}", file=sys.stderr)
        return 1
    finally:
        await worker_lease.release()
        await pool.close()
    # Standard output, for the operator (never a log): the link is also mailed to the admin.
    print(f"network {made.domain} created; {made.admin_email} is invited as its owner:")
    print(f"  {invitation_link(settings, made.invite_code)}")
    return 0


def cmd_network(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(create(settings, args.domain, args.admin, args.name or ""))


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    network = sub.add_parser("network", help="make a company's network (operators)")
    actions = network.add_subparsers(dest="action", required=True)
    create_cmd = actions.add_parser(
        "create", help="make a network, claim its e-mail domain and invite its first admin")
    create_cmd.add_argument("domain", help="the company's e-mail domain, e.g. acme.com")
    create_cmd.add_argument("--admin", required=True, metavar="EMAIL",
                            help="the first admin (the network's owner), invited by e-mail")
    create_cmd.add_argument("--name", help="the network's name (default: the domain)")
    create_cmd.set_defaults(func=cmd_network)
