"""Rendered JSON holding signed media URLs is kept no longer than the UTC day it was rendered
on (services/gateway/media_urls.py): the page fragments render anew once the day turns."""

from __future__ import annotations

import itertools

import pytest

from services.gateway import media_urls
from services.gateway.media_urls import DayTurn, today_ends_at
from services.gateway.pages import Fragments
from shared.media.storage import signed_window_end
from shared.records import AccountRecord, MediaRecord, StatusRecord

DAY = 86_400


def test_today_ends_before_the_signatures_do() -> None:
    for now in (0.0, 1.5, DAY - 0.001, 10 * DAY + 12_345.6):
        end = today_ends_at(now)
        assert now < end <= now + DAY and end % DAY == 0
        assert signed_window_end(now) - end == DAY  # a day to go, at least, when served


def test_fragments_render_media_urls_anew_when_the_day_turns(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000 * DAY + 100.0]
    monkeypatch.setattr(media_urls.time, "time", lambda: clock[0])
    signed = itertools.count()
    fragments = Fragments("https://h.test", lambda key: f"https://h.test/f/{key}?n={next(signed)}")
    author = AccountRecord(id=1, username="ana", network_id=1, network_domain="acme.test")
    status = StatusRecord(id=2, account_id=1, network_id=1, text="t", content_html="<p>t</p>",
                          visibility="public", created_at=0, version=3,
                          media=(MediaRecord(id=4, type="image", key="media/4/x/original.png"),))

    def page() -> bytes:
        return fragments.page([status], {}, {1: author}, {})

    first = page()
    assert b"?n=0" in first
    clock[0] += DAY - 200  # still today: the same bytes
    assert page() == first
    clock[0] += 200  # tomorrow
    assert b"?n=1" in page()


def test_a_day_turn_is_told_once() -> None:
    turn = DayTurn()
    assert turn.turned() is False
    turn._until = 0.0
    assert turn.turned() is True
    assert turn.turned() is False
