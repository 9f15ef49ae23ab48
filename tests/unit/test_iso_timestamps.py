"""Mastodon's timestamps (``presenters.mastodon.iso``) match datetime's rendering of the same
instant, to the millisecond, across days, leap years and the epoch's edges."""

from __future__ import annotations

import datetime as dt
import random

from services.gateway.presenters.mastodon import iso


def by_datetime(ms: int) -> str:
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def test_iso_matches_datetime() -> None:
    draws = random.Random(7)
    cases = [0, 1, 999, 1000, 951_782_400_000, 951_868_799_999,  # 2000-02-29 (a leap day)
             1_796_083_199_999, 4_102_444_800_000, -1]
    cases += [draws.randrange(0, 4_102_444_800_000) for _ in range(2000)]
    for ms in cases:
        assert iso(ms) == by_datetime(ms), ms
    assert iso(1_796_086_923_456) == "2026-12-01T01:02:03.456Z"
    assert iso(None) is None
