"""Instance activity's weeks: Mondays 00:00 UTC (as PostgreSQL's date_trunc('week') counts
them), this week first, twelve of them."""

from __future__ import annotations

import datetime as dt

from services.gateway.application.instance_activity import WEEK_MS, WEEKS, week_starts


def ms(*parts: int) -> int:
    return int(dt.datetime(*parts, tzinfo=dt.UTC).timestamp() * 1000)


def test_weeks_start_on_monday_midnight_utc_this_week_first() -> None:
    for now in (ms(2025, 12, 1, 0, 0), ms(2025, 12, 3, 13, 5), ms(2025, 12, 7, 23, 59)):
        starts = week_starts(now)
        assert len(starts) == WEEKS
        assert starts[0] == ms(2025, 12, 1)
        assert all(a - b == WEEK_MS for a, b in zip(starts, starts[1:], strict=False))
    assert week_starts(ms(2025, 11, 30, 23, 59))[0] == ms(2025, 11, 24)
