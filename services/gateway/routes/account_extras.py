"""Account extras (Mastodon client API): private notes, endorsements (accounts featured on a
profile), featured hashtags, familiar followers and the profile directory.

Every other account named is one the reader may see (same network, or a community they
share); any other is a 404, as an unknown id is."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.params import FromPath

from services.gateway import params, responses
from services.gateway.application.account_extras import visible_account_id
from services.gateway.context import Gateway, gateway_of
from services.gateway.presenters import mastodon
from services.gateway.presenters.tags import featured_tag, tag, tag_json
from services.gateway.scopes import needs
from shared import bus, errors
from shared.contracts import account_extras as extras_api
from shared.contracts import graph as graph_api
from shared.contracts import posts as posts_api
from shared.contracts.verb import Verb
from shared.ids import parse_id
from shared.records import AccountRecord

READ_ACCOUNTS = needs("read:accounts")
WRITE_ACCOUNTS = needs("write:accounts")  # notes, endorsements, featured tags: the profile's


# --- private notes ------------------------------------------------------------------------------

class NoteParams(params.Params):
    comment: str = ""  # empty (or absent) clears the note


@post("/api/v1/accounts/{account_id:str}/note", opt=WRITE_ACCOUNTS)
async def set_note(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    """The reader's private note about an account: shown only in the reader's own Relationship
    with it (``note``), never to the account itself."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    target = await visible_account_id(gw, me.id, account_id)
    p = await params.read(request, NoteParams)
    rel = await bus.call(gw.nc, graph_api.ACCOUNT_NOTE_SET, extras_api.SetNote(
        account_id=me.id, target_id=target, comment=p.comment))
    return responses.json(mastodon.relationship(rel))


# --- endorsements -------------------------------------------------------------------------------

async def _endorsement(request: Request[Any, Any, Any], account_id: str,
                       verb: Verb[graph_api.AccountPair, graph_api.Relationship]
                       ) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    target = await visible_account_id(gw, me.id, account_id)
    rel = await bus.call(gw.nc, verb, graph_api.AccountPair(account_id=me.id, target_id=target))
    return responses.json(mastodon.relationship(rel))


# ``pin``/``unpin`` are Mastodon's names up to 4.3; 4.4 added ``endorse``/``unendorse``.
@post(["/api/v1/accounts/{account_id:str}/pin", "/api/v1/accounts/{account_id:str}/endorse"],
      opt=WRITE_ACCOUNTS)
async def endorse(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    """Feature a followed account on the reader's profile (422 unless the reader follows it)."""
    return await _endorsement(request, account_id, graph_api.ENDORSEMENT_ADD)


@post(["/api/v1/accounts/{account_id:str}/unpin",
       "/api/v1/accounts/{account_id:str}/unendorse"], opt=WRITE_ACCOUNTS)
async def unendorse(request: Request[Any, Any, Any], account_id: FromPath[str]) -> Response[Any]:
    return await _endorsement(request, account_id, graph_api.ENDORSEMENT_REMOVE)


class PageParams(params.Params):
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    limit: int = 40


@get("/api/v1/endorsements", opt=READ_ACCOUNTS)
async def endorsements(request: Request[Any, Any, Any]) -> Response[Any]:
    """The accounts the reader features, newest endorsement first, paged by the Link header
    (its cursors are the endorsements', as Mastodon's are)."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, PageParams, body=False)
    page = await bus.call(gw.nc, graph_api.ENDORSEMENTS_LIST, graph_api.RelationPage(
        account_id=me.id, max_id=parse_id(p.max_id), since_id=parse_id(p.since_id),
        min_id=parse_id(p.min_id), limit=p.limit))
    ids = [item.account_id for item in page.items]
    visible = await gw.visible_accounts(me.id, ids) if ids else set()
    accounts = await gw.hydrator.accounts([i for i in ids if i in visible])
    shaped = [mastodon.account(accounts[i], gw.base_url) for i in ids if i in accounts]
    headers = (responses.cursor_link_header(request, gw.base_url, page.items[0].cursor,
                                            page.items[-1].cursor) if page.items else {})
    return responses.json(shaped, headers=headers)


# --- featured hashtags --------------------------------------------------------------------------

async def _featured_of(gw: Gateway, owner: AccountRecord) -> list[dict[str, Any]]:
    """The owner's featured tags with how often, and when last, the owner's public and unlisted
    statuses used each (counted by posts on read: featured tags are read rarely)."""
    found = await bus.call(gw.nc, graph_api.FEATURED_TAGS_LIST,
                           extras_api.FeaturedTagsOf(account_id=owner.id))
    if not found.tags:
        return []
    uses = await bus.call(gw.nc, posts_api.TAG_USAGE, posts_api.TagUsage(
        account_id=owner.id, tags=[t.tag for t in found.tags], limit=len(found.tags)))
    by_tag = {u.name: u for u in uses.tags}
    return [featured_tag(t, owner.username, gw.base_url, by_tag.get(t.tag)) for t in found.tags]


@get("/api/v1/featured_tags", opt=READ_ACCOUNTS)
async def my_featured_tags(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    return responses.json(await _featured_of(gw, me))


@get("/api/v1/accounts/{account_id:str}/featured_tags", opt=READ_ACCOUNTS)
async def featured_tags_of(request: Request[Any, Any, Any],
                           account_id: FromPath[str]) -> Response[Any]:
    """An account's featured tags, after the same check as the profile itself."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    owner = await gw.hydrator.account(await visible_account_id(gw, me.id, account_id))
    if owner is None:
        raise errors.NotFound("Record not found")
    return responses.json(await _featured_of(gw, owner))


class FeatureParams(params.Params):
    name: str


async def _feature(gw: Gateway, me: AccountRecord, name: str, again_ok: bool
                   ) -> dict[str, Any]:
    record = await bus.call(gw.nc, graph_api.FEATURED_TAG_ADD, extras_api.FeatureTag(
        account_id=me.id, name=name, again_ok=again_ok))
    uses = await bus.call(gw.nc, posts_api.TAG_USAGE, posts_api.TagUsage(
        account_id=me.id, tags=[record.tag], limit=1))
    return featured_tag(record, me.username, gw.base_url, uses.tags[0] if uses.tags else None)


@post("/api/v1/featured_tags", opt=WRITE_ACCOUNTS)
async def create_featured_tag(request: Request[Any, Any, Any]) -> Response[Any]:
    """Feature a hashtag (at most 10, as the instance's max_featured_tags says; a name featured
    already or past the cap is a 422)."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, FeatureParams)
    return responses.json(await _feature(gw, me, p.name, again_ok=False))


@delete("/api/v1/featured_tags/{featured_tag_id:str}", status_code=200, opt=WRITE_ACCOUNTS)
async def delete_featured_tag(request: Request[Any, Any, Any],
                              featured_tag_id: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    tag_id = parse_id(featured_tag_id)
    if tag_id is None:
        raise errors.NotFound("Record not found")
    await bus.call(gw.nc, graph_api.FEATURED_TAG_REMOVE,
                   extras_api.UnfeatureTag(account_id=me.id, id=tag_id))
    return responses.json({})


SUGGESTIONS = 10


@get("/api/v1/featured_tags/suggestions", opt=READ_ACCOUNTS)
async def featured_tag_suggestions(request: Request[Any, Any, Any]) -> Response[Any]:
    """The hashtags the reader uses most in public and unlisted posts, those featured already
    left out (Tag entities, as Mastodon answers)."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    featured, used = await asyncio.gather(
        bus.call(gw.nc, graph_api.FEATURED_TAGS_LIST, extras_api.FeaturedTagsOf(account_id=me.id)),
        bus.call(gw.nc, posts_api.TAG_USAGE, posts_api.TagUsage(
            account_id=me.id, limit=SUGGESTIONS + extras_api.MAX_FEATURED_TAGS)))
    taken = {t.tag for t in featured.tags}
    names = [u.name for u in used.tags if u.name not in taken][:SUGGESTIONS]
    return responses.json([{**tag_json(n, gw.base_url), "following": False} for n in names])


async def _tag_featuring(gw: Gateway, me: AccountRecord, name: str, featuring: bool
                         ) -> dict[str, Any]:
    """Mastodon 4.4's Tag with ``featuring``: the reader's follow of it too."""
    found = await bus.call(gw.nc, graph_api.TAG_GET, graph_api.TagAction(account_id=me.id,
                                                                        tag=name))
    return {**tag(found, gw.base_url), "featuring": featuring}


@post("/api/v1/tags/{name:str}/feature", opt=WRITE_ACCOUNTS)
async def feature_tag(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    gw = gateway_of(request)
    _, me = await gw.user(request)
    record = await bus.call(gw.nc, graph_api.FEATURED_TAG_ADD, extras_api.FeatureTag(
        account_id=me.id, name=name, again_ok=True))
    return responses.json(await _tag_featuring(gw, me, record.tag, True))


@post("/api/v1/tags/{name:str}/unfeature", opt=WRITE_ACCOUNTS)
async def unfeature_tag(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
    """Idempotent, as Mastodon's: a tag not featured answers the same Tag."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    try:
        await bus.call(gw.nc, graph_api.FEATURED_TAG_REMOVE,
                       extras_api.UnfeatureTag(account_id=me.id, name=name))
    except errors.NotFound:
        pass
    return responses.json(await _tag_featuring(gw, me, name, False))


# --- familiar followers, the directory ----------------------------------------------------------

class FamiliarParams(params.Params):
    id: list[str] | str = []


MAX_FAMILIAR_IDS = 40


@get("/api/v1/accounts/familiar_followers", opt=needs("read:follows"))
async def familiar_followers(request: Request[Any, Any, Any]) -> Response[Any]:
    """For each account asked: the accounts the reader follows that follow it. An unknown id,
    or another network's, is left out, as Mastodon leaves out what it does not find."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, FamiliarParams, body=False)
    raw = p.id if isinstance(p.id, list) else [p.id]
    ids = list(dict.fromkeys(i for i in map(parse_id, raw[:MAX_FAMILIAR_IDS]) if i is not None))
    visible = await gw.visible_accounts(me.id, ids) if ids else set()
    ids = [i for i in ids if i in visible]
    if not ids:
        return responses.json([])
    reply = await bus.call(gw.nc, graph_api.ACCOUNT_FAMILIAR_FOLLOWERS,
                           extras_api.FamiliarFollowersOf(account_id=me.id, ids=ids))
    named = list({a for item in reply.items for a in item.account_ids})
    seen = await gw.visible_accounts(me.id, named) if named else set()
    accounts = await gw.hydrator.accounts([a for a in named if a in seen])
    return responses.json([
        {"id": str(item.id), "accounts": [mastodon.account(accounts[a], gw.base_url)
                                          for a in item.account_ids if a in accounts]}
        for item in reply.items])


class DirectoryParams(params.Params):
    offset: int = 0
    limit: int = 40
    order: str = "active"
    local: bool = False  # every account of a network is local: nothing to narrow


@get("/api/v1/directory", opt=READ_ACCOUNTS)
async def directory(request: Request[Any, Any, Any]) -> Response[Any]:
    """The reader's network's discoverable members, most recently posting first (``active``)
    or newest first (``new``), paged by offset as Mastodon's. Mastodon serves it to anyone; a
    company's people are not shown to strangers, so Hubbub needs a member's token."""
    gw = gateway_of(request)
    _, me = await gw.user(request)
    p = await params.read(request, DirectoryParams, body=False)
    if p.offset < 0:
        raise errors.Invalid("Validation failed: offset must be 0 or more")
    found = await bus.call(gw.nc, graph_api.ACCOUNT_DIRECTORY, extras_api.DirectoryPage(
        account_id=me.id, order="new" if p.order == "new" else "active", offset=p.offset,
        limit=p.limit))
    return responses.json([mastodon.account(a, gw.base_url) for a in found.accounts])


# familiar_followers before accounts.py's {account_id} route; the static paths win anyway.
ROUTES = [familiar_followers, set_note, endorse, unendorse, endorsements, my_featured_tags,
          featured_tags_of, create_featured_tag, delete_featured_tag, featured_tag_suggestions,
          feature_tag, unfeature_tag, directory]
