"""Who may act on a status: the one visibility policy, fed with the actor's facts from graph.

Most actions are on a public or unlisted status of the actor's own network (a favourite, a
reblog, a reply): there, only a block either way can hide it, and graph's cache of the actor's
hidden accounts (shared/viewer_cache.py, kept by graph, read by the gateway's timelines too)
says whom the actor blocks or is blocked by. So those are decided from that cache; a miss asks
graph for that set (``viewer.hidden``, which fills the cache for the actor's next action). The
others ask graph for all the actor's facts (``viewer.facts``)."""

from __future__ import annotations

from nats.aio.client import Client as NATS

from shared import bus, errors, policy, viewer_cache
from shared.contracts import graph as graph_api
from shared.member_index import Commands
from shared.records import StatusRecord


def post_facts(status: StatusRecord) -> policy.PostFacts:
    return policy.PostFacts(author_id=status.account_id, network_id=status.network_id,
                            visibility=status.visibility, mentions=status.mentions,
                            community_id=status.community_id)


async def viewer(nc: NATS, account_id: int) -> policy.Viewer:
    facts = await bus.call(nc, graph_api.VIEWER_FACTS,
                           graph_api.ViewerFacts(account_id=account_id))
    return facts.viewer()


async def ensure_visible(nc: NATS, status: StatusRecord | None, account_id: int, *,
                         network_id: int | None = None, cache: Commands | None = None
                         ) -> StatusRecord:
    """The status, or 404 when it does not exist or the account may not see it (a 403 would
    reveal that it exists). ``network_id`` (the actor's) and ``cache``: decide a public
    status of that network from graph's cache of blocks (the module's docstring)."""
    if status is None:
        raise errors.NotFound("Record not found")
    if status.account_id == account_id:
        return status
    if network_id is not None and cache is not None and _network_wide(status, network_id):
        blocked = await _blocked(cache, account_id)
        if blocked is None:
            hidden = await bus.call(nc, graph_api.VIEWER_HIDDEN,
                                    graph_api.ViewerFacts(account_id=account_id))
            blocked = None if hidden.blocked is None else set(hidden.blocked)
        if blocked is not None:
            if status.account_id in blocked:
                raise errors.NotFound("Record not found")
            return status
    if not policy.can_see(post_facts(status), await viewer(nc, account_id)):
        raise errors.NotFound("Record not found")
    return status


def _network_wide(status: StatusRecord, network_id: int) -> bool:
    """Seen by every member of ``network_id`` but those blocked either way with its author
    (``policy.can_see`` for a public or unlisted status outside communities, in the network)."""
    return (status.visibility in (policy.PUBLIC, policy.UNLISTED)
            and status.community_id is None and status.network_id == network_id)


async def _blocked(cache: Commands, account_id: int) -> set[int] | None:
    """Whom the account blocks or is blocked by, from graph's cache; None when it cannot say
    (a miss, an entry from before it held blocks, Valkey away)."""
    hidden = await viewer_cache.cached_hidden(cache, account_id)
    return None if hidden is None or hidden.blocked is None else set(hidden.blocked)
