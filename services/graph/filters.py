"""The graph's NATS API for content filters (Mastodon's v2 filters, their keywords and
statuses, and v1 filters as Mastodon maps them): reads here, each change in its use case
(services/graph/use_cases/save_filter.py, filter_rules.py, v1_filters.py), a reader's whole set
for the gateway in use_cases/reader_filters.py."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph.store import filters as filter_store
from services.graph.use_cases import filter_checks
from services.graph.use_cases.filter_rules import (
    AddFilterStatus,
    AddKeyword,
    DeleteFilterStatus,
    DeleteKeyword,
    UpdateKeyword,
    owned_filter_status,
    owned_keyword,
)
from services.graph.use_cases.reader_filters import ReaderFiltersOf
from services.graph.use_cases.save_filter import DeleteFilter, SaveFilter
from services.graph.use_cases.v1_filters import DeleteV1Filter, SaveV1Filter
from shared.contracts import filters as api
from shared.contracts import graph as graph_api
from shared.service_host import ServiceHost


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis) -> None:
    async def owned(req: api.OwnerFilters) -> api.Filters:
        async with pool.acquire() as conn:
            return api.Filters(filters=await filter_store.filters_of(conn, req.account_id))

    async def get(req: api.FilterRef) -> api.FilterRecord:
        async with pool.acquire() as conn:
            return await filter_checks.owned(conn, req.account_id, req.id)

    async def keyword(req: api.FilterRef) -> api.KeywordFound:
        async with pool.acquire() as conn:
            return await owned_keyword(conn, req.account_id, req.id)

    async def filter_status(req: api.FilterRef) -> api.FilterStatus:
        async with pool.acquire() as conn:
            return await owned_filter_status(conn, req.account_id, req.id)

    host.serve(graph_api.FILTERS_LIST, owned)
    host.serve(graph_api.FILTER_GET, get)
    host.serve(graph_api.FILTER_SAVE, SaveFilter(pool, cache))
    host.serve(graph_api.FILTER_DELETE, DeleteFilter(pool, cache))
    host.serve(graph_api.FILTER_KEYWORD_ADD, AddKeyword(pool, cache))
    host.serve(graph_api.FILTER_KEYWORD_GET, keyword)
    host.serve(graph_api.FILTER_KEYWORD_UPDATE, UpdateKeyword(pool, cache))
    host.serve(graph_api.FILTER_KEYWORD_DELETE, DeleteKeyword(pool, cache))
    host.serve(graph_api.FILTER_STATUS_ADD, AddFilterStatus(pool, cache))
    host.serve(graph_api.FILTER_STATUS_GET, filter_status)
    host.serve(graph_api.FILTER_STATUS_DELETE, DeleteFilterStatus(pool, cache))
    host.serve(graph_api.FILTER_V1_SAVE, SaveV1Filter(pool, cache))
    host.serve(graph_api.FILTER_V1_DELETE, DeleteV1Filter(pool, cache))
    host.serve(graph_api.VIEWER_FILTERS, ReaderFiltersOf(pool, cache))
