"""Media URLs in rendered JSON, and how long rendered JSON that holds them may be kept.

Every attachment's URL is signed (the key alone, even guessed, is refused by whoever serves the
file) and works until the end of tomorrow, UTC (shared/media/storage.signed_window_end): every
rendering on one day gives the same URL, so browsers and proxies reuse what they fetched, and a
URL rendered at the last moment of today still works for 24 hours. Avatars and headers are
public keys: their URLs are plain and stored in the profile as they are.

The invariant this module exists for: a cache of rendered JSON that may hold a signed URL is
emptied when the UTC day turns (``DayTurn``), so it never serves a URL with less than a day to
go. The caches that hold rendered statuses: pages.Fragments (status fields and whole statuses),
hydrate/timeline_page.TimelinePages (whole pages) and streaming/shared_statuses.RenderCache
(statuses streamed); streaming/frames.Frames is keyed by the payload itself, so a payload
rendered anew is a new frame. Nothing else keeps rendered statuses: single reads, threads and
notifications render each time, and no API response is cacheable by HTTP caches.
"""

from __future__ import annotations

import time

from shared.media.storage import DAY_S, MediaStorage, signed_window_end


class SignedMediaUrls:
    """A storage key -> its URL as readers get it: signed until the end of tomorrow."""

    def __init__(self, storage: MediaStorage) -> None:
        self.storage = storage

    def __call__(self, key: str) -> str:
        return self.storage.url(key, expires_at=signed_window_end())


def today_ends_at(now: float | None = None) -> float:
    moment = time.time() if now is None else now
    return float((int(moment) // DAY_S + 1) * DAY_S)


class DayTurn:
    """Tells a cache once that the UTC day has turned since it was last asked (the cache then
    empties itself). One comparison with the clock per call: cheap on the hottest read."""

    def __init__(self) -> None:
        self._until = today_ends_at()

    def turned(self) -> bool:
        now = time.time()
        if now < self._until:
            return False
        self._until = today_ends_at(now)
        return True
