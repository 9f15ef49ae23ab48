"""EnsureCommunityBot: the community's bot account, made the first time a manager needs it (an
inbound feed or an incoming webhook added), the author of every post that comes from outside.

Why an account of its own rather than posting as the admin who added the feed: the posts are
not that person's words, they outlive that person's role (an admin who leaves the company must
not go on "posting"), and readers can tell a machine's post by the account's ``bot`` flag, as
Mastodon shows it. The bot lives in the community's host network (it is one of its accounts,
so network visibility and the community's membership rules apply to it unchanged), is a member
of the community, is not discoverable, and cannot sign in: its password hash is no hash at all
(``!``, which the password check refuses as it refuses any malformed hash), it has no e-mail
address anyone holds (``.invalid`` is reserved, RFC 2606), and no token is ever made for it.

Two managers adding a feed at once: the community's row is locked first, so one makes the bot
and the other finds it."""

from __future__ import annotations

import re

import asyncpg

from services.graph import store
from services.graph.store import communities as community_store
from shared import events, outbox
from shared.contracts import communities as api
from shared.ids import new_id

NO_PASSWORD = "!"  # not an argon2 hash: no password ever matches it
MAX_USERNAME = 30


def bot_username(name: str, community_id: int) -> str:
    """``<name>_bot`` in the username alphabet, else one named by the community's id."""
    slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:MAX_USERNAME - 4]
    return f"{slug}_bot" if slug else f"community_{community_id}_bot"[:MAX_USERNAME]


class EnsureCommunityBot:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __call__(self, req: api.CommunityBotRequest) -> api.CommunityBot:
        async with self.pool.acquire() as conn, conn.transaction():
            seen = await community_store.seen_by(conn, req.account_id, req.community_id,
                                                 lock=True)
            seen.require_manager()
            community = seen.record
            bot_id: int | None = await community_store.bot_of(conn, community.id)
            if bot_id is None and req.create:
                bot_id = await self._make(conn, community)
            return api.CommunityBot(community_id=community.id, network_id=community.network_id,
                                    bot_id=bot_id)

    async def _make(self, conn: asyncpg.Connection, community: api.CommunityRecord) -> int:
        bot_id = new_id()
        username = bot_username(community.name, community.id)
        if await store.accounts_by_usernames(conn, [username]):
            username = f"bot_{bot_id}"[:MAX_USERNAME]  # the name's bot is taken: the id's
        await store.insert_account(
            conn, account_id=bot_id, network_id=community.network_id, username=username,
            email=f"bot-{bot_id}@community-bots.invalid", password_hash=NO_PASSWORD,
            display_name=f"{community.name} bot"[:100], role="member")
        await community_store.make_bot(conn, community.id, bot_id)
        await outbox.add(conn, "graph", events.AccountCreated(
            account_id=bot_id, network_id=community.network_id, username=username))
        await community_store.add_member(conn, community.id, bot_id, api.MEMBER)
        return bot_id
