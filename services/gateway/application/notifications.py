"""Notifications as Mastodon shows them: each with its account and status, for the REST routes
(routes/notifications.py) and the live stream (streaming/session.py) alike; in groups with their
accounts and statuses at the root (routes/grouped_notifications.py); and the requests that
gather filtered ones (routes/notification_requests.py)."""

from __future__ import annotations

from typing import Any

import msgspec

from services.gateway import params
from services.gateway.context import Gateway
from services.gateway.hydrate.reader_filters import ReaderFilters
from services.gateway.presenters import mastodon
from services.gateway.presenters import notification_groups as presenter
from shared.contracts import notify as notify_api
from shared.records import AccountRecord, NotificationRecord


class NotificationParams(params.Params):
    """The list parameters of /api/v1/notifications, which /api/v2/notifications extends."""

    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40
    types: list[str] = []
    exclude_types: list[str] = []
    account_id: str | None = None
    include_filtered: bool = False


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


async def render_groups(gw: Gateway, groups: list[notify_api.NotificationGroup],
                        viewer_id: int) -> dict[str, Any]:
    """GroupedNotificationsResults: each account and status once, at the root, and the groups
    naming them. A group whose status is gone is left out, as a notification's is; so are the
    sample accounts no longer there."""
    account_ids = list(dict.fromkeys(i for g in groups for i in g.sample_account_ids))
    status_ids = list(dict.fromkeys(g.status_id for g in groups if g.status_id is not None))
    accounts = await gw.hydrator.accounts(account_ids)
    statuses = await gw.hydrator.statuses(status_ids)
    rendered = {int(s["id"]): s for s in await gw.hydrator.render_statuses(
        [statuses[i] for i in status_ids if i in statuses], viewer_id)}
    shaped: list[dict[str, Any]] = []
    used_accounts: dict[int, AccountRecord] = {}
    used_statuses: dict[int, dict[str, Any]] = {}
    for g in groups:
        if g.status_id is not None and g.status_id not in rendered:
            continue
        samples = [i for i in g.sample_account_ids if i in accounts]
        if not samples:
            continue
        for i in samples:
            used_accounts.setdefault(i, accounts[i])
        if g.status_id is not None:
            used_statuses.setdefault(g.status_id, rendered[g.status_id])
        shaped.append(presenter.group(msgspec.structs.replace(g, sample_account_ids=samples)))
    return presenter.results(
        [mastodon.account(a, gw.base_url) for a in used_accounts.values()],
        list(used_statuses.values()), shaped)


async def render_requests(gw: Gateway, requests: list[notify_api.NotificationRequest],
                          viewer_id: int) -> list[dict[str, Any]]:
    """NotificationRequests with their senders and last statuses; one whose sender is gone is
    left out."""
    accounts = await gw.hydrator.accounts([r.from_account_id for r in requests])
    status_ids = [r.last_status_id for r in requests if r.last_status_id is not None]
    statuses = await gw.hydrator.statuses(status_ids)
    rendered = {int(s["id"]): s for s in await gw.hydrator.render_statuses(
        [statuses[i] for i in status_ids if i in statuses], viewer_id)}
    return [presenter.request(r, mastodon.account(accounts[r.from_account_id], gw.base_url),
                              rendered.get(r.last_status_id) if r.last_status_id else None)
            for r in requests if r.from_account_id in accounts]
