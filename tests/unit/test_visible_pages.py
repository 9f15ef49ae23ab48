"""fill_page against a list in memory paged as shared.paging pages: the visible items of each
window, newest first, however the hidden ones fall between reads."""

from __future__ import annotations

import pytest

from services.gateway.application.visible_pages import MAX_ROUNDS, fill_page

ITEMS = list(range(1, 101))  # ids 1..100; the multiples of 3 are hidden


def window(max_id: int | None, since_id: int | None, min_id: int | None, limit: int) -> list[int]:
    """Every visible item of the window, as the page would be with no batch limit."""
    inside = [i for i in ITEMS if i % 3 and (max_id is None or i < max_id)
              and (since_id is None or i > since_id) and (min_id is None or i > min_id)]
    if min_id is not None and max_id is None:
        return sorted(inside)[:limit][::-1]
    return sorted(inside, reverse=True)[:limit]


async def page(max_id: int | None, since_id: int | None, min_id: int | None, limit: int,
               batch: int, rounds: int = MAX_ROUNDS) -> list[int]:
    async def read(max_id: int | None, since_id: int | None, min_id: int | None) -> list[int]:
        inside = [i for i in ITEMS if (max_id is None or i < max_id)
                  and (since_id is None or i > since_id) and (min_id is None or i > min_id)]
        if min_id is not None and max_id is None:
            return sorted(inside)[:batch][::-1]
        return sorted(inside, reverse=True)[:batch]

    async def keep(items: list[int]) -> list[int]:
        return [i for i in items if i % 3]

    return await fill_page(read, keep, lambda i: i, max_id=max_id, since_id=since_id,
                           min_id=min_id, limit=limit, batch=batch, rounds=rounds)


@pytest.mark.parametrize(("max_id", "since_id", "min_id", "limit", "batch"), [
    (None, None, None, 20, 20),
    (None, None, None, 5, 2),
    (50, None, None, 10, 3),
    (None, 90, None, 20, 3),
    (None, None, 10, 7, 2),
    (None, None, 95, 7, 2),
    (60, None, 10, 5, 4),
    (60, 40, None, 50, 5),
    (None, None, 100, 5, 5),
])
async def test_the_page_is_the_visible_window(max_id, since_id, min_id, limit, batch) -> None:
    assert await page(max_id, since_id, min_id, limit, batch) == window(
        max_id, since_id, min_id, limit)


async def test_reads_stop_at_the_bound() -> None:
    # Two reads of two: ids 100, 99 (hidden), 98, 97 -> 100, 98, 97 shown, no more.
    assert await page(None, None, None, 20, 2, rounds=2) == [100, 98, 97]
