"""CreateHook, ListHooks, DeleteHook: a community's incoming webhooks, managed by its owner and
admins; PostThroughHook: what a partner's tool POSTs to one (``{"text": ...}``, the shape of
Slack's and Mattermost's incoming webhooks), posted into the community by its bot.

The token is the hook's only credential, shown once (in the answer that made it): only its
sha256 is kept, and a post finds its hook by that hash, so the secret is never compared
character by character (no timing to learn it from) and a copy of the database gives no
working URL. The text is a status's text like any member's: the same checks (blank, the
length limit: 422), the same rendering (escaped; links, mentions and hashtags as in any post).
"""

from __future__ import annotations

import hashlib
import secrets

import asyncpg
from nats.aio.client import Client as NATS

from services.posts.store import feeds as feeds_store
from services.posts.use_cases.community_feeds import community_bot
from services.posts.use_cases.post_status import PostStatus
from shared import errors
from shared.contracts import integrations as api
from shared.contracts.posts import CreateStatus
from shared.ids import new_id

PREFIX_CHARS = 6
MAX_HOOKS = 20  # per community
MAX_NAME = 100
MAX_TOKEN = 200
UNKNOWN = "The webhook token is invalid"
NOT_TEXT = "Validation failed: the body must be a JSON object with a non-empty text string"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class CreateHook:
    def __init__(self, pool: asyncpg.Pool, nc: NATS) -> None:
        self.pool = pool
        self.nc = nc

    async def __call__(self, req: api.CreateHook) -> api.HookRecord:
        name = req.name.strip()
        if len(name) > MAX_NAME or "\x00" in name:
            raise errors.Invalid(f"Validation failed: name is at most {MAX_NAME} characters",
                                 {"name": [(errors.TOO_LONG, f"at most {MAX_NAME} characters")]})
        bot = await community_bot(self.nc, req.account_id, req.community_id, create=True)
        assert bot.bot_id is not None
        token = secrets.token_urlsafe(32)
        async with self.pool.acquire() as conn:
            if await feeds_store.count_hooks(conn, bot.community_id) >= MAX_HOOKS:
                raise errors.Invalid(f"Validation failed: a community has at most {MAX_HOOKS} "
                                     "incoming webhooks")
            hook = await feeds_store.insert_hook(
                conn, hook_id=new_id(), community_id=bot.community_id,
                network_id=bot.network_id, bot_account_id=bot.bot_id, name=name,
                token_hash=token_hash(token), token_prefix=token[:PREFIX_CHARS],
                created_by=req.account_id)
        return api.HookRecord(id=hook.id, community_id=hook.community_id, name=hook.name,
                              token_prefix=hook.token_prefix, created_at=hook.created_at,
                              token=token)


class ListHooks:
    def __init__(self, pool: asyncpg.Pool, nc: NATS) -> None:
        self.pool = pool
        self.nc = nc

    async def __call__(self, req: api.CommunityItems) -> api.Hooks:
        bot = await community_bot(self.nc, req.account_id, req.community_id, create=False)
        async with self.pool.acquire() as conn:
            return api.Hooks(hooks=await feeds_store.hooks_of(conn, bot.community_id))


class DeleteHook:
    def __init__(self, pool: asyncpg.Pool, nc: NATS) -> None:
        self.pool = pool
        self.nc = nc

    async def __call__(self, req: api.ItemRef) -> api.Done:
        bot = await community_bot(self.nc, req.account_id, req.community_id, create=False)
        async with self.pool.acquire() as conn:
            if not await feeds_store.delete_hook(conn, bot.community_id, req.item_id):
                raise errors.NotFound("Record not found")
        return api.Done()


class PostThroughHook:
    def __init__(self, pool: asyncpg.Pool, post: PostStatus) -> None:
        self.pool = pool
        self.post = post

    async def __call__(self, req: api.PostThroughHook) -> api.Posted:
        if not req.token or len(req.token) > MAX_TOKEN:
            raise errors.Unauthorized(UNKNOWN)
        async with self.pool.acquire() as conn:
            hook = await feeds_store.hook_by_token_hash(conn, token_hash(req.token))
        if hook is None:
            raise errors.Unauthorized(UNKNOWN)
        if req.text is None:
            raise errors.Invalid(NOT_TEXT, {"text": [(errors.BLANK,
                                                      "must be a non-empty string")]})
        if "\x00" in req.text:
            raise errors.Invalid("Validation failed: text cannot contain NUL characters",
                                 {"text": [(errors.INVALID, "cannot contain NUL characters")]})
        status = await self.post(CreateStatus(
            account_id=hook.bot_account_id, network_id=hook.network_id, text=req.text,
            visibility="public", community_id=hook.community_id))
        return api.Posted(status_id=status.id, community_id=hook.community_id)
