"""A network's dashboard in Mastodon's shapes (measures, dimensions, retention), from graph's
days (who joined, reports opened and resolved) and posts' days (who was active, interactions,
languages). Pure: the route fetches, these shape (tests/unit/test_dashboard.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from shared import errors
from shared.contracts.moderation import NetworkStats
from shared.contracts.posts import Activity

MEASURES = ("active_users", "new_users", "interactions", "opened_reports", "resolved_reports")
DIMENSIONS = ("languages",)
MAX_DAYS = 366
LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish",
                  "it": "Italian", "nl": "Dutch", "pt": "Portuguese", "ja": "Japanese",
                  "zh": "Chinese", "pl": "Polish", "sv": "Swedish", "und": "Unknown"}


def parse_range(start_at: str | None, end_at: str | None) -> tuple[dt.date, dt.date]:
    """Mastodon's start_at and end_at (a date, or a time whose date is taken), both in; the
    last 30 days without them."""
    try:
        end = dt.date.fromisoformat(end_at[:10]) if end_at else dt.datetime.now(dt.UTC).date()
        start = (dt.date.fromisoformat(start_at[:10]) if start_at
                 else end - dt.timedelta(days=29))
    except ValueError as exc:
        raise errors.Invalid("Validation failed: start_at and end_at must be dates") from exc
    if end < start or (end - start).days >= MAX_DAYS:
        raise errors.Invalid(f"Validation failed: end_at must follow start_at, within "
                             f"{MAX_DAYS} days")
    return start, end


def days(start: dt.date, end: dt.date) -> list[str]:
    return [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def previous(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before."""
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)


def _per_day(key: str, stats: NetworkStats, activity: Activity) -> dict[str, set[int] | int]:
    found: dict[str, set[int] | int] = {}
    if key == "active_users":
        for a in activity.days:
            found[a.day] = set(a.active_ids)
    elif key == "interactions":
        found = {a.day: a.interactions for a in activity.days}
    elif key == "new_users":
        found = {d.day: len(d.new_ids) for d in stats.days}
    elif key == "opened_reports":
        found = {d.day: d.opened_reports for d in stats.days}
    elif key == "resolved_reports":
        found = {d.day: d.resolved_reports for d in stats.days}
    return found


def _total(values: Iterable[set[int] | int]) -> int:
    """Distinct people across the days for sets (active users), a sum for counts."""
    people: set[int] = set()
    count = 0
    for v in values:
        if isinstance(v, set):
            people |= v
        else:
            count += v
    return len(people) + count


def measures(keys: list[str], start: dt.date, end: dt.date, stats: NetworkStats,
             activity: Activity) -> list[dict[str, Any]]:
    """Mastodon's Admin::Measure for each known key (unknown ones are left out), over
    ``stats`` and ``activity`` read from the previous period's start to ``end``."""
    shown = days(start, end)
    before = set(days(*previous(start, end)))
    answer = []
    for key in dict.fromkeys(keys):
        if key not in MEASURES:
            continue
        per_day = _per_day(key, stats, activity)
        answer.append({
            "key": key, "unit": None,
            "total": str(_total(per_day.get(d, 0) for d in shown)),
            "previous_total": str(_total(v for d, v in per_day.items() if d in before)),
            "data": [{"date": f"{d}T00:00:00Z",
                      "value": str(_total([per_day.get(d, 0)]))} for d in shown],
        })
    return answer


def dimensions(keys: list[str], activity: Activity, limit: int) -> list[dict[str, Any]]:
    answer = []
    for key in dict.fromkeys(keys):
        if key == "languages":
            ranked = sorted(activity.languages.items(), key=lambda kv: (-kv[1], kv[0]))
            answer.append({"key": key, "data": [
                {"key": lang, "human_key": LANGUAGE_NAMES.get(lang, lang), "value": str(n)}
                for lang, n in ranked[:limit]]})
    return answer


def _period(day: str, frequency: str) -> str:
    return day[:8] + "01" if frequency == "month" else day


def retention(start: dt.date, end: dt.date, frequency: str, stats: NetworkStats,
              activity: Activity) -> list[dict[str, Any]]:
    """Mastodon's Admin::Cohort list: for each period, those who joined then, and the share of
    them active in each period since (the first is everyone: rate 1)."""
    periods = list(dict.fromkeys(_period(d, frequency) for d in days(start, end)))
    joined: dict[str, set[int]] = {p: set() for p in periods}
    for d in stats.days:
        joined.setdefault(_period(d.day, frequency), set()).update(d.new_ids)
    active: dict[str, set[int]] = {p: set() for p in periods}
    for a in activity.days:
        active.setdefault(_period(a.day, frequency), set()).update(a.active_ids)
    cohorts = []
    for i, period in enumerate(periods):
        cohort = joined.get(period, set())
        data = []
        for j, later in enumerate(periods[i:]):
            value = len(cohort) if j == 0 else len(cohort & active.get(later, set()))
            data.append({"date": f"{later}T00:00:00+00:00",
                         "rate": (value / len(cohort)) if cohort else 0.0,
                         "value": str(value)})
        cohorts.append({"period": f"{period}T00:00:00+00:00", "frequency": frequency,
                        "data": data})
    return cohorts
