"""Who may act on which webhook (the routes in routes/webhooks.py ask here first).

A network's webhooks (no community) are its owners' and admins'; a community's are also its
own owners' and admins' (the role graph answers for the reader, COMMUNITY_GET). Another
network's webhook, or one of a community the reader cannot see, answers 404 as if it did not
exist; one the reader can see but not manage, 403. notify keeps and sends webhooks and trusts
the gateway's check (the verbs are the gateway's alone, shared/permissions.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared import bus, errors
from shared.contracts import communities as communities_api
from shared.contracts import graph as graph_api
from shared.contracts import network_admin
from shared.contracts import notify as notify_api
from shared.contracts import webhooks as wh
from shared.records import AccountRecord

if TYPE_CHECKING:
    from services.gateway.context import Gateway

NETWORK_MANAGERS = (network_admin.OWNER, network_admin.ADMIN)
COMMUNITY_MANAGERS = (communities_api.OWNER, communities_api.ADMIN)
FORBIDDEN = "This action is not allowed"


def network_manager(me: AccountRecord, network_id: int) -> bool:
    return me.network_id == network_id and me.role in NETWORK_MANAGERS


async def community_of(gw: Gateway, me: AccountRecord, community_id: int
                       ) -> communities_api.CommunityRecord:
    """The community as the reader sees it (NotFound when it may not)."""
    return await bus.call(gw.nc, graph_api.COMMUNITY_GET, communities_api.CommunityRef(
        account_id=me.id, community_id=community_id))


async def may_manage_community(gw: Gateway, me: AccountRecord, community_id: int
                               ) -> communities_api.CommunityRecord:
    """The community, when the reader manages its webhooks; else Forbidden (NotFound when the
    reader cannot see it)."""
    community = await community_of(gw, me, community_id)
    if community.role in COMMUNITY_MANAGERS or network_manager(me, community.network_id):
        return community
    raise errors.Forbidden(FORBIDDEN)


async def scope_for_new(gw: Gateway, me: AccountRecord, community_id: int | None
                        ) -> tuple[int, int | None]:
    """(network, community) of a webhook the reader makes, when allowed."""
    if community_id is None:
        if not network_manager(me, me.network_id):
            raise errors.Forbidden(FORBIDDEN)
        return me.network_id, None
    community = await may_manage_community(gw, me, community_id)
    return community.network_id, community.id


async def managed(gw: Gateway, me: AccountRecord, webhook_id: int | None) -> wh.WebhookRecord:
    """The webhook, when the reader may manage it."""
    if webhook_id is None:
        raise errors.NotFound("Record not found")
    hook = await bus.call(gw.nc, notify_api.WEBHOOK_GET, wh.WebhookRef(webhook_id=webhook_id))
    if hook.community_id is None:
        if me.network_id != hook.network_id:
            raise errors.NotFound("Record not found")
        if not network_manager(me, hook.network_id):
            raise errors.Forbidden(FORBIDDEN)
        return hook
    if network_manager(me, hook.network_id):
        return hook
    await may_manage_community(gw, me, hook.community_id)
    return hook


async def listed(gw: Gateway, me: AccountRecord, community_id: int | None
                 ) -> list[wh.WebhookRecord]:
    """One community's webhooks (``community_id``), or every webhook the reader manages: its
    network's when a network admin, else those of the communities it manages."""
    if community_id is not None:
        community = await may_manage_community(gw, me, community_id)
        found = await bus.call(gw.nc, notify_api.WEBHOOK_LIST,
                               wh.ListWebhooks(community_ids=[community.id]))
        return found.webhooks
    if network_manager(me, me.network_id):
        found = await bus.call(gw.nc, notify_api.WEBHOOK_LIST,
                               wh.ListWebhooks(network_id=me.network_id))
        return found.webhooks
    mine = await bus.call(gw.nc, graph_api.COMMUNITY_LIST,
                          communities_api.ListCommunities(account_id=me.id, limit=200))
    managed_ids = [c.id for c in mine.communities if c.role in COMMUNITY_MANAGERS]
    if not managed_ids:
        raise errors.Forbidden(FORBIDDEN)
    found = await bus.call(gw.nc, notify_api.WEBHOOK_LIST,
                           wh.ListWebhooks(community_ids=managed_ids))
    return found.webhooks
