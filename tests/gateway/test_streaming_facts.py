"""A streaming session's reader facts (follows, blocks, mutes): refreshed in the background
before they expire, so that a delivery waits for graph only when a session was idle past
FACTS_TTL_S, and readers who connected together do not all ask graph in the same second."""

from __future__ import annotations

import time

from services.gateway.streaming import session as session_module
from services.gateway.streaming.session import StreamSession
from tests.helpers import Api


async def test_facts_are_refreshed_in_the_background_before_they_expire(api: Api) -> None:
    reader, author = await api.user(), await api.user()
    gw = api.stack.gateway
    account = await gw.hydrator.account(int(reader.id))
    session = StreamSession(gw, account, 8)
    try:
        viewer, _ = await session._facts()
        assert int(author.id) not in viewer.following
        await api.follow(reader, author)
        await api.idle()

        # Old enough to refresh, young enough to trust: the delivery goes on with what it
        # knows, and the refresh happens beside it.
        session._facts_at = time.monotonic() - session_module.FACTS_REFRESH_FROM_S[1] - 1
        viewer, _ = await session._facts()
        assert int(author.id) not in viewer.following
        refreshing = session._refreshing
        assert refreshing is not None
        await refreshing
        viewer, _ = await session._facts()
        assert int(author.id) in viewer.following
        assert session._refreshing is None  # fresh again: nothing more to ask

        # Past the TTL (an idle session), the delivery waits for fresh facts.
        await api.client.post(f"/api/v1/accounts/{author.id}/unfollow", headers=reader.headers)
        await api.idle()
        session._facts_at = time.monotonic() - session_module.FACTS_TTL_S - 1
        viewer, _ = await session._facts()
        assert int(author.id) not in viewer.following
    finally:
        await session.close()

