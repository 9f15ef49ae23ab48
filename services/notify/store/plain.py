"""A plain notification in one statement: the recipient's facts read, and the row inserted when
they leave nothing more to decide. That is most notifications: the recipient has no policy that
could filter this one (or let its sender through), muted no thread and has no push
subscription. The others are decided as before (use_cases/notify_people.py), with the facts this
statement read: one round trip to PostgreSQL for most, where each took two (under ``hubbub bench
write``, the facts query and the insert were 2 of the 5 statements of an average write).

Which notifications are plain is the rule of services/notify/policy.py (``may_apply``, from
``deciding_fields``), asked in SQL; tests/notify/test_plain_notifications.py holds the two to
the same answers."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.notify.policy import deciding_fields
from services.notify.store.notifications import INSERT_COLUMNS, ROW_ARGS, ROW_VALUES, row_args
from services.notify.store.policies import RecipientFacts, facts_of, facts_sql
from shared.contracts.notify import Policy
from shared.records import NotificationType

# Every field that may decide some notification (those of a private mention: all of them),
# each a flag parameter after the row's: may it decide this one?
_DECIDING = deciding_fields("mention", private_mention=True)
_DEFAULTS = Policy()
_FLAGS = {field: f"${ROW_ARGS + 1 + i}::bool" for i, field in enumerate(_DECIDING)}

# The recipient ($2) and sender ($4) are the row's own parameters.
_PLAIN = f"""
WITH facts AS ({facts_sql("$2", "$4")}),
plain AS (
    SELECT NOT mutes_threads AND NOT has_push AND (permitted OR ({' AND '.join(
        f"(NOT {_FLAGS[field]} OR coalesce({field}, '{getattr(_DEFAULTS, field)}') = 'accept')"
        for field in _DECIDING)})) AS yes
    FROM facts
),
inserted AS (
    INSERT INTO notifications ({INSERT_COLUMNS})
    SELECT {ROW_VALUES} FROM plain WHERE plain.yes
    ON CONFLICT (dedupe_key) DO NOTHING RETURNING true
)
SELECT facts.*, plain.yes AS plain, EXISTS (SELECT 1 FROM inserted) AS created
FROM facts, plain"""


@dataclass(frozen=True)
class Outcome:
    facts: RecipientFacts
    plain: bool  # nothing more to decide: the row was inserted, unless it was there
    created: bool  # a new row (never when not plain: nothing was written)


async def insert_if_plain(conn: asyncpg.Connection, *, id: int, account_id: int,
                          type: NotificationType, from_account_id: int, status_id: int | None,
                          dedupe_key: str, community_id: int | None = None, at_ms: int = 0,
                          private_mention: bool = False) -> Outcome:
    """The recipient's facts, and the notification (not filtered) when it is plain; one
    statement, its own transaction. A notification to oneself is never filtered: the caller
    screens none."""
    deciding = set(deciding_fields(type, private_mention=private_mention))
    row = await conn.fetchrow(
        _PLAIN, *row_args(id=id, account_id=account_id, type=type,
                          from_account_id=from_account_id, status_id=status_id,
                          dedupe_key=dedupe_key, community_id=community_id, at_ms=at_ms),
        *(field in deciding for field in _DECIDING))
    return Outcome(facts=facts_of(row), plain=bool(row["plain"]), created=bool(row["created"]))
