"""The dashboard's shapes (services/gateway/application/dashboard.py): Mastodon's measures,
dimensions and retention from graph's and posts' days."""

from __future__ import annotations

import datetime as dt

import pytest

from services.gateway.application import dashboard
from shared import errors
from shared.contracts.moderation import NetworkDay, NetworkStats
from shared.contracts.posts import Activity, ActivityDay

START, END = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
STATS = NetworkStats(network_id=1, days=[
    NetworkDay(day="2026-02-28", new_ids=[9]),  # the previous period
    NetworkDay(day="2026-03-02", new_ids=[1, 2], opened_reports=2),
    NetworkDay(day="2026-03-03", new_ids=[3], resolved_reports=1),
])
ACTIVITY = Activity(days=[
    ActivityDay(day="2026-03-01", active_ids=[9], interactions=4),
    ActivityDay(day="2026-03-02", active_ids=[1, 2], interactions=1),
    ActivityDay(day="2026-03-03", active_ids=[1, 3], interactions=2),
], languages={"en": 3, "de": 5, "xx": 1})


def test_measures_count_per_day_with_totals_and_the_previous_period() -> None:
    found = {m["key"]: m for m in dashboard.measures(
        ["active_users", "new_users", "interactions", "opened_reports", "resolved_reports",
         "unknown"], START, END, STATS, ACTIVITY)}
    assert set(found) == set(dashboard.MEASURES)
    active = found["active_users"]
    assert active["total"] == "3"  # distinct people over the period: 1, 2, 3
    assert active["previous_total"] == "1"
    assert active["data"] == [{"date": "2026-03-02T00:00:00Z", "value": "2"},
                              {"date": "2026-03-03T00:00:00Z", "value": "2"}]
    assert found["new_users"]["total"] == "3" and found["new_users"]["previous_total"] == "1"
    assert found["interactions"]["total"] == "3"
    assert found["interactions"]["previous_total"] == "4"
    assert found["opened_reports"]["data"][0]["value"] == "2"
    assert found["resolved_reports"]["total"] == "1" and found["resolved_reports"]["unit"] is None


def test_dimensions_rank_languages() -> None:
    [languages] = dashboard.dimensions(["languages", "servers"], ACTIVITY, limit=2)
    assert languages == {"key": "languages", "data": [
        {"key": "de", "human_key": "German", "value": "5"},
        {"key": "en", "human_key": "English", "value": "3"}]}


def test_retention_follows_each_cohort() -> None:
    cohorts = dashboard.retention(START, END, "day", STATS, ACTIVITY)
    assert [c["period"] for c in cohorts] == ["2026-03-02T00:00:00+00:00",
                                              "2026-03-03T00:00:00+00:00"]
    first = cohorts[0]
    assert first["frequency"] == "day"
    assert first["data"] == [
        {"date": "2026-03-02T00:00:00+00:00", "rate": 1.0, "value": "2"},
        {"date": "2026-03-03T00:00:00+00:00", "rate": 0.5, "value": "1"}]  # 1 came back
    monthly = dashboard.retention(START, END, "month", STATS, ACTIVITY)
    assert [c["period"] for c in monthly] == ["2026-03-01T00:00:00+00:00"]
    assert monthly[0]["data"][0]["value"] == "3"


def test_ranges() -> None:
    assert dashboard.parse_range("2026-03-02T10:00:00Z", "2026-03-03") == (START, END)
    assert dashboard.previous(START, END) == (dt.date(2026, 2, 28), dt.date(2026, 3, 1))
    for wrong in (("2026-03-04", "2026-03-03"), ("nope", None), ("2020-01-01", "2026-01-01")):
        with pytest.raises(errors.Invalid):
            dashboard.parse_range(*wrong)
