"""Who may act on a status: the one visibility policy, fed with the actor's facts from graph."""

from __future__ import annotations

from nats.aio.client import Client as NATS

from shared import bus, errors, policy
from shared.contracts import graph as graph_api
from shared.records import StatusRecord


def post_facts(status: StatusRecord) -> policy.PostFacts:
    return policy.PostFacts(author_id=status.account_id, network_id=status.network_id,
                            visibility=status.visibility, mentions=status.mentions,
                            community_id=status.community_id)


async def viewer(nc: NATS, account_id: int) -> policy.Viewer:
    facts = await bus.call(nc, graph_api.VIEWER_FACTS,
                           graph_api.ViewerFacts(account_id=account_id))
    return facts.viewer()


async def ensure_visible(nc: NATS, status: StatusRecord | None, account_id: int
                         ) -> StatusRecord:
    """The status, or 404 when it does not exist or the account may not see it (a 403 would
    reveal that it exists)."""
    if status is None:
        raise errors.NotFound("Record not found")
    if status.account_id != account_id and not policy.can_see(
            post_facts(status), await viewer(nc, account_id)):
        raise errors.NotFound("Record not found")
    return status
