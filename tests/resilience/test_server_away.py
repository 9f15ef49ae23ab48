"""What counts as "a server is away": the service answers a typed ``unavailable`` (the gateway's
503 with Retry-After), never an internal error, for each way PostgreSQL, a Valkey cluster or
NATS says so while failing over; anything else stays an internal error."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import msgspec
import nats.js.errors
import pytest
import redis.exceptions

from shared import bus, errors, service_host
from shared.contracts.verb import READ, VerbSet
from shared.nats_users import OPERATOR
from shared.readiness import is_server_away
from shared.settings import Settings
from tests.helpers import unique

AWAY: list[Callable[[], BaseException]] = [
    lambda: asyncpg.CannotConnectNowError("the database system is starting up"),
    lambda: asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    lambda: asyncpg.ConnectionDoesNotExistError("connection was closed in the middle"),
    lambda: asyncpg.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only txn"),
    lambda: asyncpg.exceptions.TargetServerAttributeNotMatched("none of the hosts is primary"),
    lambda: asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    lambda: TimeoutError(),  # a pool's acquire timing out
    # A pooled connection broken by the primary's kill -9, at its next use
    lambda: asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is "
                                        "in progress"),
    lambda: nats.js.errors.ServiceUnavailableError(code=503, description="JetStream system "
                                                   "temporarily unavailable"),
    lambda: nats.js.errors.NoStreamResponseError(),
    lambda: ConnectionRefusedError(111, "refused"),
    lambda: redis.exceptions.ConnectionError("Connection closed by server."),
    lambda: redis.exceptions.TimeoutError("Timeout reading from socket"),
    lambda: redis.exceptions.BusyLoadingError("Valkey is loading the dataset in memory"),
    lambda: redis.exceptions.ClusterDownError("CLUSTERDOWN The cluster is down"),
    lambda: redis.exceptions.MasterDownError("MASTERDOWN Link with MASTER is down"),
    lambda: redis.exceptions.TryAgainError("TRYAGAIN Multiple keys request during rehashing"),
    lambda: redis.exceptions.ReadOnlyError("You can't write against a read only replica."),
    lambda: redis.exceptions.SlotNotCoveredError("slot 1234 is not covered"),
    # What the lean client (shared/fastredis.py) makes of the same replies
    lambda: redis.exceptions.ResponseError("READONLY You can't write against a read only replica."),
    lambda: redis.exceptions.ResponseError("CLUSTERDOWN Hash slot not served"),
    lambda: redis.exceptions.ResponseError("TRYAGAIN Multiple keys request during rehashing"),
    lambda: redis.exceptions.ResponseError("MOVED 3999 127.0.0.1:6381"),
]
NOT_AWAY: list[Callable[[], BaseException]] = [
    lambda: redis.exceptions.ResponseError("WRONGTYPE Operation against a key holding the wrong"),
    lambda: redis.exceptions.ResponseError("ERR unknown command"),
    lambda: asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
    lambda: ValueError("a bug"),
    lambda: asyncpg.InternalClientError("unexpected error while performing authentication"),
]


@pytest.mark.parametrize("make", AWAY)
def test_a_server_away(make: Callable[[], BaseException]) -> None:
    assert is_server_away(make())


@pytest.mark.parametrize("make", NOT_AWAY)
def test_not_a_server_away(make: Callable[[], BaseException]) -> None:
    assert not is_server_away(make())


class Ask(msgspec.Struct, frozen=True):
    case: int


class Answer(msgspec.Struct, frozen=True):
    ok: bool


async def test_a_service_answers_unavailable_for_each_and_an_error_otherwise(
        servers: Settings) -> None:
    """Through a real ServiceHost and bus.call, as the gateway calls a service."""
    verbs = VerbSet(unique("probe"))
    verb = verbs.declare("fail", Ask, Answer, kind=READ)
    cases = [*AWAY, *NOT_AWAY]

    async def fail(ask: Ask) -> Answer:
        raise cases[ask.case]()

    nc = await bus.connect(servers, "away-tests", user=OPERATOR, attempts=3)
    host = service_host.ServiceHost(nc, verbs)
    host.serve(verb, fail)
    await host.start()
    try:
        for case in range(len(cases)):
            with pytest.raises(errors.HubbubError) as raised:
                await bus.call(nc, verb, Ask(case))
            expected = errors.Unavailable if case < len(AWAY) else errors.HubbubError
            assert type(raised.value) is expected, (case, raised.value)
    finally:
        await host.stop()
        await nc.close()
