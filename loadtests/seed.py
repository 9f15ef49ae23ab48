"""Bulk seeding for benchmarks: accounts, tokens and a Zipf-like follow graph written straight
into the owners' schemas. Registering thousands of accounts through the API would spend most of
the benchmark in argon2; the benchmarks measure delivery, not sign-up. The network itself is made
as `hubbub network create` makes one (CreateNetwork: it claims its domain), and the accounts are
written as members (confirmed and approved), as they would be once signed up."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from argon2 import PasswordHasher

from services.gateway.tokens import digest
from services.graph.use_cases.create_network import CreateNetwork
from shared import worker_lease
from shared.ids import new_id
from shared.settings import Settings


@dataclass
class SeededUser:
    id: int
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class SeededGraph:
    users: list[SeededUser]
    followers: dict[int, list[int]] = field(default_factory=dict)  # account -> its followers


def zipf_follows(count: int, per_user: int, exponent: float, rng: random.Random,
                 per_user_max: int | None = None) -> dict[int, set[int]]:
    """follower index -> followee indexes; followee popularity falls off as 1/rank^exponent.
    Each follows ``per_user``, or with ``per_user_max`` a log-uniform draw between the two
    (most follow a few dozen, as people do)."""
    weights = [1.0 / (rank + 1) ** exponent for rank in range(count)]
    follows: dict[int, set[int]] = {}
    for follower in range(count):
        chosen: set[int] = set()
        wanted = per_user
        if per_user_max is not None and per_user_max > per_user > 0:
            wanted = round(per_user * (per_user_max / per_user) ** rng.random())
        for followee in rng.choices(range(count), weights=weights, k=wanted * 2):
            if followee != follower:
                chosen.add(followee)
            if len(chosen) >= wanted:
                break
        follows[follower] = chosen
    return follows


async def seed(database_url: str, *, settings: Settings, users: int, follows_per_user: int,
               prefix: str, exponent: float = 1.1, seed_value: int = 7,
               follows_max: int | None = None) -> SeededGraph:
    """``follows_max``: each account follows between ``follows_per_user`` and it (see
    zipf_follows), not exactly ``follows_per_user``."""
    rng = random.Random(seed_value)
    password_hash = PasswordHasher().hash("bench password")
    # Its ids land beside the services' own: under a leased worker, like theirs.
    async with worker_lease.held(database_url):
        return await _seed(database_url, settings=settings, users=users,
                           follows_per_user=follows_per_user, prefix=prefix, exponent=exponent,
                           rng=rng, password_hash=password_hash, follows_max=follows_max)


async def _seed(database_url: str, *, settings: Settings, users: int, follows_per_user: int,
                prefix: str, exponent: float, rng: random.Random, password_hash: str,
                follows_max: int | None) -> SeededGraph:
    # CreateNetwork's SQL names graph's tables unqualified, as graph's own connections do.
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "graph"})
    try:
        # Its owner's invitation stays unaccepted: the seeded users below are plain members.
        async with conn.transaction():
            made = await CreateNetwork(None, settings)(  # type: ignore[arg-type]  # conn given
                domain=f"{prefix}.bench", admin_email=f"owner@{prefix}.bench", conn=conn)
        network_id = made.network_id
        joined = datetime.now(UTC)
        seeded = [SeededUser(id=new_id(), username=f"{prefix}{i}", token=secrets.token_urlsafe(24))
                  for i in range(users)]
        await conn.copy_records_to_table(
            "accounts", schema_name="graph",
            columns=["id", "network_id", "username", "email", "password_hash", "confirmed_at",
                     "approved_at"],
            records=[(u.id, network_id, u.username, f"{u.username}@{prefix}.bench", password_hash,
                      joined, joined) for u in seeded])
        app_id = new_id()
        await conn.execute(
            "INSERT INTO gateway.apps (id, name, redirect_uris, scopes, client_id, "
            "client_secret_hash) VALUES ($1, 'bench', 'urn:ietf:wg:oauth:2.0:oob', "
            "'read write follow', $2, $3)", app_id, secrets.token_urlsafe(16), digest("x"))
        await conn.copy_records_to_table(
            "tokens", schema_name="gateway",
            columns=["id", "token_hash", "app_id", "account_id", "scopes"],
            records=[(new_id(), digest(u.token), app_id, u.id, "read write follow")
                     for u in seeded])
        graph = SeededGraph(users=seeded)
        rows = []
        for follower, followees in zipf_follows(users, follows_per_user, exponent, rng,
                                                follows_max).items():
            for followee in followees:
                rows.append((seeded[follower].id, seeded[followee].id))
                graph.followers.setdefault(seeded[followee].id, []).append(seeded[follower].id)
        await conn.copy_records_to_table("follows", schema_name="graph",
                                         columns=["follower_id", "followee_id"], records=rows)
        await conn.execute(
            "UPDATE graph.accounts a SET followers_count = c.n FROM (SELECT followee_id, "
            "count(*) AS n FROM graph.follows GROUP BY followee_id) c "
            "WHERE a.id = c.followee_id AND a.network_id = $1", network_id)
        await conn.execute(
            "UPDATE graph.accounts a SET following_count = c.n FROM (SELECT follower_id, "
            "count(*) AS n FROM graph.follows GROUP BY follower_id) c "
            "WHERE a.id = c.follower_id AND a.network_id = $1", network_id)
        return graph
    finally:
        await conn.close()
