"""A page of what the reader may see, read from a list that holds more.

A list such as an account's statuses is stored for everyone and filtered for the reader after
reading. Two leaks follow if the page is cut from what was read rather than from what is shown:
the ``Link`` header would name hidden items' ids (snowflakes carry the millisecond they were
made), and a page of hidden items would come back empty, ending the paging early. So: read on
until ``limit`` visible items or the end of the list, within ``MAX_ROUNDS`` reads, and let the
caller build ``Link`` from the items returned. Past the bound the page is short, or empty with
no ``Link``: the reader may not page beyond a run of that many hidden items, which costs less
than naming one of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

MAX_ROUNDS = 5

# (max_id, since_id, min_id) -> up to ``batch`` items, newest first, as the list's store pages
Read = Callable[[int | None, int | None, int | None], Awaitable[list[T]]]


async def fill_page(read: Read[T], keep: Callable[[list[T]], Awaitable[list[T]]],
                    cursor: Callable[[T], int], *, max_id: int | None, since_id: int | None,
                    min_id: int | None, limit: int, batch: int, rounds: int = MAX_ROUNDS,
                    ascending: bool | None = None) -> list[T]:
    """Up to ``limit`` items that ``keep`` keeps, newest first, in the window Mastodon's
    max_id / since_id / min_id give. ``ascending``: whether ``read`` gives the oldest items
    newer than min_id (by default, as shared.paging does: min_id without max_id)."""
    if ascending is None:
        ascending = min_id is not None and max_id is None
    kept: list[T] = []
    for _ in range(rounds):
        read_now = await read(max_id, since_id, min_id)
        if not read_now:
            break
        shown = await keep(read_now)
        if ascending:
            kept = shown + kept  # each read is newer than the last
            min_id = cursor(read_now[0])
        else:
            kept = kept + shown
            max_id = cursor(read_now[-1])
        if len(kept) >= limit or len(read_now) < batch:
            break
    return kept[-limit:] if ascending else kept[:limit]
