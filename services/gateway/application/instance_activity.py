"""Instance activity (Mastodon's ``/api/v1/instance/activity``): statuses, logins and
registrations per week for the last twelve weeks.

Mastodon answers it to anyone. In Hubbub an instance holds companies: the figures of one are
not for strangers, nor for another company. So the reader must be signed in and sees its own
network's figures only (statuses from posts, registrations from graph, logins from the
gateway's own tokens: accounts given a token that week)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from services.gateway.context import Gateway
from services.gateway.store import tokens as token_store
from shared import bus
from shared.contracts import account_extras as extras_api
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.ids import id_at

WEEKS = 12
WEEK_MS = 7 * 86_400_000
SIGN_INS_CAP = 100_000  # token rows looked at: past this, logins are undercounted
_MONDAY_OFFSET_MS = 4 * 86_400_000  # the Unix epoch was a Thursday: Monday came 4 days on


def week_starts(now_ms: int) -> list[int]:
    """The last WEEKS weeks' starts (Monday 00:00 UTC, as PostgreSQL's ``date_trunc('week')``),
    this week first."""
    this_week = (now_ms - _MONDAY_OFFSET_MS) // WEEK_MS * WEEK_MS + _MONDAY_OFFSET_MS
    return [this_week - n * WEEK_MS for n in range(WEEKS)]


async def activity(gw: Gateway, network_id: int) -> list[dict[str, Any]]:
    weeks = week_starts(int(time.time() * 1000))
    since = weeks[-1]
    statuses, registrations, sign_ins = await asyncio.gather(
        bus.call(gw.nc, posts_api.STATUS_WEEKLY,
                 posts_api.WeeklyStatuses(network_id=network_id, since_ms=since)),
        bus.call(gw.nc, graph_api.NETWORK_REGISTRATIONS,
                 extras_api.WeeklyActivity(network_id=network_id, since_ms=since)),
        token_store.weekly_sign_ins(gw.pool, id_at(since), SIGN_INS_CAP))
    accounts = await gw.hydrator.accounts(list({row["account_id"] for row in sign_ins}))
    logins: dict[int, int] = {}
    for row in sign_ins:
        found = accounts.get(row["account_id"])
        if found is not None and found.network_id == network_id:
            logins[row["week"]] = logins.get(row["week"], 0) + 1
    posted = {w.week_ms: w.count for w in statuses.weeks}
    joined = {w.week_ms: w.count for w in registrations.weeks}
    return [{"week": str(week // 1000), "statuses": str(posted.get(week, 0)),
             "logins": str(logins.get(week, 0)), "registrations": str(joined.get(week, 0))}
            for week in weeks]
