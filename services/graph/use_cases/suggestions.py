"""SuggestAccounts: whom to follow next, from the reader's own follows (friends of friends).
A read, but with a rule worth its own name: who counts as a candidate and in which order."""

from __future__ import annotations

import asyncpg

from services.graph import store
from shared.contracts.graph import Suggestion, SuggestionList, Suggestions

MAX_LIMIT = 80


class SuggestAccounts:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: Suggestions) -> SuggestionList:
        limit = max(1, min(req.limit, MAX_LIMIT))
        async with self.pool.acquire() as conn:
            found = await store.friends_of_friends(conn, req.account_id, limit)
        return SuggestionList(suggestions=[
            Suggestion(account=account, source="friends_of_friends", score=score)
            for account, score in found
        ])
