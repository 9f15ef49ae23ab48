"""The account-wide limit of scheduled statuses (Mastodon's 300), arranged in the store: three
hundred requests would test the clock more than the rule."""

from __future__ import annotations

import json

from services.posts.use_cases.schedule_status import MAX_PER_ACCOUNT
from shared.ids import new_id
from tests.helpers import Api
from tests.helpers.scheduled import HOUR_S, iso_in, schedule, try_schedule


async def test_at_most_300_per_account(api: Api) -> None:
    author = await api.user()
    pool = api.stack.posts.pool
    # 299 scheduled on days of their own (the day limit stays clear).
    await pool.executemany(
        "INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params) "
        "VALUES ($1, $2, now() + make_interval(days => $3), $4::jsonb)",
        [(new_id(), int(author.id), 2 + i,
          json.dumps({"account_id": int(author.id), "network_id": 1, "text": "filler"}))
         for i in range(MAX_PER_ACCOUNT - 1)])
    await schedule(api, author, "the last one that fits")
    r = await try_schedule(api, author, "one too many", at=iso_in(HOUR_S + 60))
    assert r.status_code == 422, r.text
    assert r.json()["error"] == ("Validation failed: You have exceeded the limit of "
                                 f"{MAX_PER_ACCOUNT} scheduled posts")
    count = await pool.fetchval("SELECT count(*) FROM scheduled_statuses WHERE account_id = $1",
                                int(author.id))
    assert count == MAX_PER_ACCOUNT
