"""The ``hubbub`` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable

from services import network_cli
from shared import logs, tracing
from shared.settings import SERVICES, Settings, from_env

# A subcommand: its parsed arguments and the settings in, the process's exit status out.
Command = Callable[[argparse.Namespace, Settings], int]


def _need_servers(settings: Settings, *, database: bool = True, redis: bool = True) -> None:
    missing = [name for name, url, needed in (
        ("HUBBUB_NATS_URL", settings.nats_url, True),
        ("HUBBUB_DATABASE_URL", settings.database_url, database),
        ("HUBBUB_REDIS_URL", settings.redis_url, redis)) if needed and not url]
    if missing:
        sys.exit(f"hubbub: {', '.join(missing)} not set (run `hubbub infra` for embedded "
                 "servers, or `hubbub up` to run everything)")


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from services.supervisor import up

    return up(settings, cluster=args.cluster)


def cmd_service(args: argparse.Namespace, settings: Settings) -> int:
    from services.registry import run, service_classes

    service_class = service_classes().get(args.name)  # None: the gateway, which needs all
    _need_servers(settings,
                  database=service_class is None or service_class.schema is not None,
                  redis=service_class is None or service_class.uses_redis)
    logs.configure(settings, args.name)
    tracing.configure(settings.otel_endpoint, args.name)  # off unless HUBBUB_OTEL_ENDPOINT
    run(args.name, settings)
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    import msgspec

    from shared import db, infra

    embedded = None
    if not settings.owner_database_url:
        embedded = infra.EmbeddedServers(Path(settings.data_dir).resolve())
        settings = msgspec.structs.replace(settings,
                                           migration_database_url=embedded.start_postgres())
    try:
        applied = asyncio.run(db.migrate_all(settings))
    finally:
        if embedded:
            embedded.stop()
    for schema, names in applied.items():
        print(f"{schema}: {', '.join(names) if names else 'up to date'}")
    return 0


def cmd_infra(args: argparse.Namespace, settings: Settings) -> int:
    from shared import infra, infra_cluster, nats_users

    extra: dict[str, str] = {}
    if args.cluster:
        extra = infra_cluster.cluster_env(settings)
        settings, embedded, where = infra_cluster.start_cluster(settings)
        # The cluster's own data folder holds its passwords: tools and services need it.
        extra["HUBBUB_DATA_DIR"] = settings.data_dir
        for line in infra_cluster.describe(where):
            print(f"# {line}", file=sys.stderr)
    else:
        settings, embedded = infra.start_missing(settings)
    # Blocked before the URLs are printed (a tool that reads them may stop us at once), so
    # that SIGTERM (whose default is to die on the spot) is waited for too and the servers
    # are stopped in order; the servers were started before, unblocked (children inherit
    # the mask).
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        # Standard output only (never a log): the owner's and the admin's URLs, for tools and
        # `hubbub service`; each service's own are in HUBBUB_DATA_DIR/secrets/.
        print(f"HUBBUB_NATS_URL={settings.nats_url}")
        print(f"HUBBUB_DATABASE_URL={settings.database_url}")
        if settings.migration_database_url:
            print(f"HUBBUB_MIGRATION_DATABASE_URL={settings.migration_database_url}")
        print(f"HUBBUB_REDIS_URL={settings.redis_url}")
        for name, value in extra.items():
            print(f"{name}={value}")
        sys.stdout.flush()
        print(f"# NATS users' passwords: {nats_users.secrets_path(settings.data_dir)} (each "
              "process with this HUBBUB_DATA_DIR connects as its own user)", file=sys.stderr)
        print("# embedded servers running; Ctrl-C stops them", file=sys.stderr, flush=True)
        signal.sigwait(stop_signals)
    except KeyboardInterrupt:
        pass
    finally:
        embedded.stop()
    return 0


def cmd_secrets(args: argparse.Namespace, settings: Settings) -> int:

    from shared import nats_users, permissions

    if args.what == "nats-config":
        print(permissions.external_authorization(), end="")
    elif args.what == "vapid-env":  # a fresh Web Push key pair
        from shared import vapid

        print(vapid.env_lines(), end="")
    else:  # nats-env: fresh passwords, for a .env file or a Kubernetes Secret
        for user in nats_users.USERS:
            print(f"{permissions.password_variable(user)}={nats_users.new_password()}")
    return 0


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from services.fanout.rebuild import rebuild_timelines
    from shared import bus, cache, nats_users
    from shared.contracts import graph as graph_api
    from shared.timelines.upgrade import convert_old_timelines

    _need_servers(settings)

    async def run() -> int:
        nc = await bus.connect(settings, "hubbub-rebuild", user=nats_users.OPERATOR,
                               attempts=3)
        r = await cache.connect(settings, attempts=3)
        started = time.monotonic()
        try:
            if args.user is not None:
                found = await bus.call(nc, graph_api.ACCOUNT_GET,
                                       graph_api.GetAccounts(ids=[args.user]))
                if not found.accounts:
                    print(f"hubbub: no account {args.user}", file=sys.stderr)
                    return 1
            else:
                carried, dropped = await convert_old_timelines(r, settings.home_timeline_max)
                if dropped:
                    print(f"{carried} timeline(s) carried over from the old encoding, "
                          f"{dropped} old key(s) dropped", flush=True)
            done = await rebuild_timelines(
                nc, r, settings, user=args.user,
                progress=lambda n: print(f"{n} accounts rebuilt", flush=True))
        finally:
            await r.aclose()
            await nc.drain()
        print(f"rebuilt the timelines of {done} account(s) in "
              f"{time.monotonic() - started:.1f}s")
        return 0

    return asyncio.run(run())


BENCHMARKS = {"asgi": "loadtests.asgi_servers", "live": "loadtests.live_bench",
              "fanout": "loadtests.fanout_bench", "media": "loadtests.media_bench",
              "chaos": "loadtests.chaos_bench", "mixed": "loadtests.mixed_bench",
              "write": "loadtests.write_bench"}


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    import importlib

    module = importlib.import_module(BENCHMARKS[args.name])
    bench_main: Callable[[list[str]], int] = module.main  # each benchmark's own command line
    return bench_main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubbub",
        description="Hubbub: open enterprise micromessaging. Configuration comes from HUBBUB_* "
                    "environment variables (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start everything: embedded servers, migrations, all services",
                        description="Start embedded NATS, PostgreSQL and Valkey (where no "
                        "HUBBUB_*_URL is set) under HUBBUB_DATA_DIR (.hubbub/), apply "
                        "migrations, run every service as its own process. Ctrl-C stops all.")
    up.add_argument("--cluster", action="store_true",
                    help="the servers' cluster modes under HUBBUB_DATA_DIR/cluster/ (3 NATS "
                    "nodes, a Valkey Cluster, PostgreSQL with a streaming standby) and two "
                    "processes of every service")
    up.set_defaults(func=cmd_up)
    service = sub.add_parser("service", help="run one service (for containers)",
                             description="Run one service in this process. Needs "
                             "HUBBUB_NATS_URL, HUBBUB_DATABASE_URL and HUBBUB_REDIS_URL.")
    service.add_argument("name", choices=SERVICES)
    service.set_defaults(func=cmd_service)
    migrate = sub.add_parser("migrate", help="apply database migrations",
                             description="Apply every service's pending SQL migrations, as "
                             "the role that owns the schemas (HUBBUB_MIGRATION_DATABASE_URL, else "
                             "HUBBUB_DATABASE_URL), and grant each service's role its rights.")
    migrate.set_defaults(func=cmd_migrate)
    infra_cmd = sub.add_parser("infra", help="run only the embedded servers; print their URLs",
                               description="Start embedded NATS, PostgreSQL and Valkey and print "
                               "their URLs as HUBBUB_*_URL lines for other tools.")
    infra_cmd.add_argument("--cluster", action="store_true",
                           help="their cluster modes under HUBBUB_DATA_DIR/cluster/: 3 NATS "
                           "JetStream nodes, a Valkey Cluster, PostgreSQL with a streaming "
                           "standby")
    infra_cmd.set_defaults(func=cmd_infra)
    rebuild = sub.add_parser(
        "rebuild", help="rebuild Redis read models from Postgres (the stack must be running)",
        description="Rebuild home timelines and authors' own timelines from Postgres through "
        "the services' NATS APIs, for one account or every account page by page (after Redis "
        "lost its data, say). For every account it first carries the public, tag, list and "
        "community timelines of an older member encoding over and drops the old keys (after an "
        "upgrade: README, operations). Needs HUBBUB_NATS_URL, HUBBUB_DATABASE_URL and "
        "HUBBUB_REDIS_URL of the running stack.")
    rebuild.add_argument("what", choices=["timelines"])
    rebuild.add_argument("--user", type=int, default=None, metavar="ID",
                         help="only this account (default: every account)")
    rebuild.set_defaults(func=cmd_rebuild)
    secrets_cmd = sub.add_parser(
        "secrets", help="NATS users for servers of your own (see deploy/README.md)",
        description="nats-config: print nats-server's authorization block (a user per "
        "service with its subject permissions; passwords read from HUBBUB_NATS_<USER>_PASSWORD "
        "in the server's environment). nats-env: print fresh random passwords as "
        "HUBBUB_NATS_<USER>_PASSWORD=... lines, for a .env file or a Kubernetes Secret. "
        "vapid-env: print a fresh Web Push VAPID key pair as HUBBUB_VAPID_*=... lines.")
    secrets_cmd.add_argument("what", choices=["nats-config", "nats-env", "vapid-env"])
    secrets_cmd.set_defaults(func=cmd_secrets)
    network_cli.add_parser(sub)
    bench = sub.add_parser("bench", help="run a benchmark from loadtests/",
                           description="Benchmarks (see loadtests/): " + ", ".join(BENCHMARKS))
    bench.add_argument("name", choices=sorted(BENCHMARKS))
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="the benchmark's own options")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    command: Command = args.func  # set_defaults(func=cmd_...) on each subcommand
    return command(args, from_env())


if __name__ == "__main__":
    sys.exit(main())
