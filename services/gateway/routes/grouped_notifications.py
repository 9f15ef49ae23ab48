"""Grouped notifications (Mastodon 4.3, ``api_versions.mastodon`` 2): a page of groups, one
group, its accounts, dismissing it, and the unread count of groups."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Request, Response, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.notifications import NotificationParams, render_groups
from services.gateway.context import gateway_of
from services.gateway.presenters import mastodon
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import notify as notify_api
from shared.ids import parse_id

# A group key is the server's own (``favourite-<id>-<hour>``, ``ungrouped-<id>``): anything
# longer names nothing, and goes no further.
MAX_GROUP_KEY = 100


class GroupedParams(NotificationParams):
    # partial_avatars is answered in full (the docs let a server do so).
    expand_accounts: Literal["full", "partial_avatars"] = "full"
    grouped_types: list[str] = []


@get("/api/v2/notifications", opt=needs("read:notifications"))
async def list_groups(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, GroupedParams, body=False)
    hidden = await gw.hidden(me.id, notifications=True)
    reply = await bus.call(gw.nc, notify_api.NOTIFICATION_GROUPS, notify_api.ListGroups(
        account_id=me.id, max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
        min_id=parse_id(p.min_id), limit=max(1, min(p.limit, 80)), types=p.types,
        exclude_types=p.exclude_types, from_account_id=parse_id(p.account_id),
        grouped_types=p.grouped_types or None, include_filtered=p.include_filtered,
        exclude_from=sorted(hidden),
    ))
    groups = reply.groups
    headers = (responses.cursor_link_header(request, gw.base_url,
                                            groups[0].most_recent_notification_id,
                                            groups[-1].most_recent_notification_id)
               if groups else {})
    return responses.json(await render_groups(gw, groups, me.id), headers=headers)


def _group_key(raw: str) -> str:
    if not raw or len(raw) > MAX_GROUP_KEY:
        raise errors.NotFound("Record not found")
    return raw


@get("/api/v2/notifications/{group_key:str}", opt=needs("read:notifications"))
async def get_group(request: Request[Any, Any, Any], group_key: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    reply = await bus.call(gw.nc, notify_api.NOTIFICATION_GROUP, notify_api.GetGroup(
        account_id=me.id, group_key=_group_key(group_key)))
    shaped = await render_groups(gw, reply.groups, me.id)
    if not shaped["notification_groups"]:
        raise errors.NotFound("Record not found")
    return responses.json(shaped)


class AccountsParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


@get("/api/v2/notifications/{group_key:str}/accounts", opt=needs("read:notifications"))
async def group_accounts(request: Request[Any, Any, Any],
                         group_key: FromPath[str]) -> Response[Any]:
    """The senders of a group's notifications, newest first, paged by notification."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    key = _group_key(group_key)
    p = await params.read(request, AccountsParams, body=False)
    # Asked with no paging, the group must exist: an empty page of a real group is 200.
    if p.max_id is None and p.since_id is None and p.min_id is None:
        await bus.call(gw.nc, notify_api.NOTIFICATION_GROUP,
                       notify_api.GetGroup(account_id=me.id, group_key=key))
    reply = await bus.call(gw.nc, notify_api.NOTIFICATION_LIST, notify_api.ListNotifications(
        account_id=me.id, max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
        min_id=parse_id(p.min_id), limit=max(1, min(p.limit, 80)), group_key=key))
    notes = reply.notifications
    accounts = await gw.hydrator.accounts([n.from_account_id for n in notes])
    senders = dict.fromkeys(n.from_account_id for n in notes if n.from_account_id in accounts)
    headers = (responses.cursor_link_header(request, gw.base_url, notes[0].id, notes[-1].id)
               if notes else {})
    return responses.json([mastodon.account(accounts[i], gw.base_url) for i in senders],
                          headers=headers)


@post("/api/v2/notifications/{group_key:str}/dismiss", opt=needs("write:notifications"))
async def dismiss_group(request: Request[Any, Any, Any],
                        group_key: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    await bus.call(gw.nc, notify_api.NOTIFICATION_DISMISS,
                   notify_api.Dismiss(account_id=me.id, group_key=_group_key(group_key)))
    return responses.json({})


class UnreadParams(params.Params):
    limit: int = 100
    types: list[str] = []
    exclude_types: list[str] = []
    account_id: str | None = None
    grouped_types: list[str] = []


@get("/api/v2/notifications/unread_count", opt=needs("read:notifications"))
async def unread_groups(request: Request[Any, Any, Any]) -> Response[Any]:
    """Groups with a notification after the notifications marker, counted up to ``limit``."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, UnreadParams, body=False)
    done = await bus.call(gw.nc, notify_api.NOTIFICATION_UNREAD_COUNT, notify_api.UnreadCount(
        account_id=me.id, limit=p.limit, types=p.types, exclude_types=p.exclude_types,
        from_account_id=parse_id(p.account_id), grouped=True,
        grouped_types=p.grouped_types or None))
    return responses.json({"count": done.count})


ROUTES = [unread_groups, list_groups, get_group, group_accounts, dismiss_group]
