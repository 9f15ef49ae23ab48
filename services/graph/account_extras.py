"""The graph's NATS API for account extras: private notes, endorsements, featured hashtags,
familiar followers, the profile directory and weekly registrations.

Who may see the other account is the gateway's check before it asks (as for follows): these
handlers keep rows between two accounts and answer the asker's own Relationship."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.store import account_extras as extras_store
from services.graph.store import relations as relations_store
from services.graph.use_cases.followed_tags import normalize_tag
from shared import errors
from shared.contracts import account_extras as api
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.ids import new_id
from shared.service_host import ServiceHost

NOT_FOLLOWING = "Validation failed: You must be already following the person you want to endorse"


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def relationship(conn: asyncpg.Connection, me: int, other: int
                           ) -> graph_api.Relationship:
        return await relations_store.relationship(conn, me, other)

    async def set_note(req: api.SetNote) -> graph_api.Relationship:
        if len(req.comment) > api.MAX_NOTE:
            raise errors.Invalid(f"Validation failed: Comment is too long (maximum is "
                                 f"{api.MAX_NOTE} characters)")
        if "\x00" in req.comment:
            raise errors.Invalid("Validation failed: Comment is invalid")
        async with pool.acquire() as conn:
            await extras_store.set_note(conn, req.account_id, req.target_id, req.comment.strip())
            return await relationship(conn, req.account_id, req.target_id)

    async def endorse(req: graph_api.AccountPair) -> graph_api.Relationship:
        async with pool.acquire() as conn, conn.transaction():
            if not await extras_store.follows(conn, req.account_id, req.target_id):
                raise errors.Invalid(NOT_FOLLOWING)
            await extras_store.insert_pin(conn, new_id(), req.account_id, req.target_id)
            return await relationship(conn, req.account_id, req.target_id)

    async def unendorse(req: graph_api.AccountPair) -> graph_api.Relationship:
        async with pool.acquire() as conn:
            await extras_store.delete_pin(conn, req.account_id, req.target_id)
            return await relationship(conn, req.account_id, req.target_id)

    async def endorsements(req: graph_api.RelationPage) -> graph_api.RelationItems:
        async with pool.acquire() as conn:
            return graph_api.RelationItems(items=await extras_store.pins_page(conn, req))

    async def featured_tags(req: api.FeaturedTagsOf) -> api.FeaturedTags:
        async with pool.acquire() as conn:
            return api.FeaturedTags(tags=await extras_store.featured_tags(conn, req.account_id))

    async def feature_tag(req: api.FeatureTag) -> api.FeaturedTagRecord:
        tag = normalize_tag(req.name)
        name = req.name.strip().removeprefix("#")
        async with pool.acquire() as conn, conn.transaction():
            await extras_store.lock_featured_tags_of(conn, req.account_id)
            mine = await extras_store.featured_tags(conn, req.account_id)
            same = next((t for t in mine if t.tag == tag), None)
            if same is not None:
                if req.again_ok:
                    return same
                raise errors.Invalid("Validation failed: Name has already been taken")
            if len(mine) >= api.MAX_FEATURED_TAGS:
                raise errors.Invalid(f"Validation failed: You cannot feature more than "
                                     f"{api.MAX_FEATURED_TAGS} hashtags")
            return await extras_store.insert_featured_tag(conn, new_id(), req.account_id,
                                                          name, tag)

    async def unfeature_tag(req: api.UnfeatureTag) -> api.FeaturedTagRecord:
        tag = normalize_tag(req.name) if req.name is not None else None
        async with pool.acquire() as conn:
            found = await extras_store.delete_featured_tag(conn, req.account_id, req.id, tag)
        if found is None:
            raise errors.NotFound("Record not found")
        return found

    async def familiar(req: api.FamiliarFollowersOf) -> api.FamiliarFollowers:
        ids = list(dict.fromkeys(req.ids))
        async with pool.acquire() as conn:
            found = await extras_store.familiar_followers(conn, req.account_id, ids)
        return api.FamiliarFollowers(items=[api.Familiar(id=i, account_ids=found.get(i, []))
                                            for i in ids])

    async def directory(req: api.DirectoryPage) -> graph_api.Accounts:
        async with pool.acquire() as conn:
            found = await extras_store.directory(conn, req.account_id, req.order,
                                                 max(0, req.offset), max(1, min(req.limit, 80)))
        return graph_api.Accounts(accounts=found)

    async def registrations(req: api.WeeklyActivity) -> posts_api.WeekCounts:
        async with pool.acquire() as conn:
            return posts_api.WeekCounts(weeks=await extras_store.weekly_registrations(
                conn, req.network_id, req.since_ms))

    host.serve(graph_api.ACCOUNT_NOTE_SET, set_note)
    host.serve(graph_api.ENDORSEMENT_ADD, endorse)
    host.serve(graph_api.ENDORSEMENT_REMOVE, unendorse)
    host.serve(graph_api.ENDORSEMENTS_LIST, endorsements)
    host.serve(graph_api.FEATURED_TAGS_LIST, featured_tags)
    host.serve(graph_api.FEATURED_TAG_ADD, feature_tag)
    host.serve(graph_api.FEATURED_TAG_REMOVE, unfeature_tag)
    host.serve(graph_api.ACCOUNT_FAMILIAR_FOLLOWERS, familiar)
    host.serve(graph_api.ACCOUNT_DIRECTORY, directory)
    host.serve(graph_api.NETWORK_REGISTRATIONS, registrations)
