"""SQL for the posts schema, one module per part of it; callers use ``store.<function>``."""

from __future__ import annotations

from services.posts.store.reactions import (
    bookmarked_among,
    bookmarks_page,
    favourited_among,
    favourited_by_page,
    favourites_page,
    pinned_among,
    poll_votes_among,
    reblogged_among,
    reblogged_by_page,
)
from services.posts.store.statuses import (
    ancestors,
    descendants,
    edits,
    poll_from_row,
    poll_status_id,
    status,
    status_from_row,
    status_id_by_idempotency_key,
    statuses_by_author,
    statuses_by_ids,
)
from services.posts.store.timelines import (
    direct_page,
    home_rebuild_entries,
    recent_ids_by_author,
    recent_ids_in_community,
    recent_reblog_ids_by_author,
)
from services.posts.store.trends import (
    TREND_DAYS,
    tag_trends,
)

__all__ = [
    "TREND_DAYS",
    "ancestors",
    "bookmarked_among",
    "bookmarks_page",
    "descendants",
    "direct_page",
    "edits",
    "favourited_among",
    "favourited_by_page",
    "favourites_page",
    "home_rebuild_entries",
    "pinned_among",
    "poll_from_row",
    "poll_status_id",
    "poll_votes_among",
    "reblogged_among",
    "reblogged_by_page",
    "recent_ids_by_author",
    "recent_ids_in_community",
    "recent_reblog_ids_by_author",
    "status",
    "status_from_row",
    "status_id_by_idempotency_key",
    "statuses_by_author",
    "statuses_by_ids",
    "tag_trends",
]
