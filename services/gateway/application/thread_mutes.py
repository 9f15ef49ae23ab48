"""Muted threads (Mastodon's muted conversations): a reader who mutes a thread hears of it no
more (notify skips its notifications). ``muted`` shows in that reader's status JSON where a
thread is read (a status, its context, the mute answers): one call to notify per read. The
timeline pages (pages.py, hydrate) do not ask, and say ``muted: false``: the fast path keeps
its round trips (see the README's note)."""

from __future__ import annotations

from typing import Any

from services.gateway.context import Gateway
from shared import bus
from shared.contracts import notify as notify_api
from shared.records import StatusRecord


def thread_of(status: StatusRecord) -> int:
    """The thread's root: statuses carry it (a new thread's root carries none, or itself)."""
    return status.conversation_id or status.id


async def muted_threads(gw: Gateway, reader_id: int | None, statuses: list[StatusRecord]
                        ) -> set[int]:
    if reader_id is None or not statuses:
        return set()
    reply = await bus.call(gw.nc, notify_api.THREAD_MUTED, notify_api.ThreadsMuted(
        account_id=reader_id, conversation_ids=list({thread_of(s) for s in statuses})))
    return set(reply.conversation_ids)


def mark_muted(rendered: list[dict[str, Any]], statuses: list[StatusRecord],
               muted: set[int]) -> None:
    """Set ``muted`` on rendered statuses (a reblog's original too), matched by id."""
    if not muted:
        return
    by_id = {str(s.id): s for s in statuses}
    for shaped in rendered:
        for one in (shaped, shaped.get("reblog")):
            if isinstance(one, dict) and one.get("id") in by_id:
                one["muted"] = thread_of(by_id[one["id"]]) in muted
