"""Direct conversations as Mastodon shows them, for the REST routes (routes/conversations.py)
and the ``direct`` stream's ``conversation`` event (streaming/session.py) alike: one renderer,
so that what the stream pushes is what the list answers.

notify keeps each participant's conversations (services/notify/use_cases/
keep_conversations.py); what the reader may see of them is decided here, at reading time, by
the visibility policy: the last status shown is the newest of the conversation's recent
statuses the reader may see now (a participant blocked since, or blocking the reader, has
theirs left out), or null when none is left to see.
"""

from __future__ import annotations

from typing import Any

from services.gateway.context import Gateway
from services.gateway.presenters import conversations as presenter
from services.gateway.presenters import mastodon
from shared import bus, errors, policy
from shared.contracts import notify as notify_api
from shared.contracts.notify import ConversationRecord


async def render(gw: Gateway, records: list[ConversationRecord], viewer: policy.Viewer
                 ) -> list[dict[str, Any]]:
    """``records`` (the viewer's own) as Conversation JSON, in the order given: a few round
    trips for the whole page, however many conversations it holds."""
    reader = viewer.account_id
    found = await gw.hydrator.statuses([i for r in records for i in r.recent_status_ids])
    seen = {s.id for s in await gw.hydrator.visible(list(found.values()), viewer)}
    shown = {r.id: next((found[i] for i in r.recent_status_ids if i in seen), None)
             for r in records}
    statuses = [s for s in shown.values() if s is not None]
    rendered = {int(s["id"]): s for s in await gw.hydrator.render_statuses(statuses, reader)}
    accounts = await gw.hydrator.accounts(
        [i for r in records for i in r.participant_ids] + ([reader] if reader else []))
    out = []
    for r in records:
        others = [i for i in r.participant_ids if i != reader] or ([reader] if reader else [])
        people = [mastodon.account(accounts[i], gw.base_url) for i in others
                  if i in accounts and not accounts[i].deactivated]
        last = shown[r.id]
        out.append(presenter.conversation(r, people,
                                          rendered.get(last.id) if last is not None else None))
    return out


async def render_one(gw: Gateway, conversation_id: int, viewer: policy.Viewer
                     ) -> dict[str, Any] | None:
    """The viewer's conversation, or None when they have none by that id (or removed it)."""
    assert viewer.account_id is not None
    try:
        record = await bus.call(gw.nc, notify_api.CONVERSATION_GET, notify_api.ConversationRef(
            account_id=viewer.account_id, id=conversation_id))
    except errors.NotFound:
        return None
    [shaped] = await render(gw, [record], viewer)
    return shaped
