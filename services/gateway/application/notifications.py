"""Notifications as Mastodon shows them: each with its account and status, for the REST routes
(routes/notifications.py) and the live stream (streaming/session.py) alike."""

from __future__ import annotations

from typing import Any

from services.gateway.context import Gateway
from services.gateway.hydrate.reader_filters import ReaderFilters
from services.gateway.presenters import mastodon
from shared.records import NotificationRecord


async def render(gw: Gateway, records: list[NotificationRecord], viewer_id: int | None = None,
                 filters: ReaderFilters | None = None) -> list[dict[str, Any]]:
    """The notifications as Mastodon JSON; with the reader's content ``filters`` (context
    ``notifications``): a status a ``hide`` filter leaves out takes its notification along,
    the others carry ``filtered``."""
    accounts = await gw.hydrator.accounts([n.from_account_id for n in records])
    status_ids = [n.status_id for n in records if n.status_id is not None]
    statuses = await gw.hydrator.statuses(status_ids)
    rendered_statuses = {int(s["id"]): s for s in await gw.hydrator.render_statuses(
        [statuses[i] for i in status_ids if i in statuses], viewer_id, filters,
        "notifications")}
    shaped = []
    for n in records:
        account = accounts.get(n.from_account_id)
        if account is None:
            continue
        status_json = rendered_statuses.get(n.status_id) if n.status_id else None
        if n.status_id is not None and status_json is None:
            continue  # the status is gone (deleted, or hidden by a filter): so is this
        shaped.append(mastodon.notification(n, mastodon.account(account, gw.base_url),
                                            status_json))
    return shaped
