"""Scheduled statuses as clients see them: the record with its attachments' JSON.

The attachments are looked up from posts as they are now (an upload may have been described
since, or deleted: then it is left out), so that the entity shows what will be posted.
"""

from __future__ import annotations

import asyncio
from typing import Any

from services.gateway.application import uploads
from services.gateway.context import Gateway
from services.gateway.presenters.scheduled_statuses import scheduled_status
from shared import bus, errors
from shared.contracts import posts as posts_api


async def shaped(gw: Gateway, records: list[posts_api.ScheduledStatusRecord]
                 ) -> list[dict[str, Any]]:
    """The ScheduledStatus JSON of each record, in order."""
    wanted = {(r.account_id, media_id) for r in records for media_id in r.status.media_ids}
    found = dict(zip(wanted, await asyncio.gather(*(_media(gw, *key) for key in wanted)),
                     strict=True))
    return [scheduled_status(r, [shown for m in r.status.media_ids
                                 if (shown := found[(r.account_id, m)]) is not None])
            for r in records]


async def one(gw: Gateway, record: posts_api.ScheduledStatusRecord) -> dict[str, Any]:
    [shaped_one] = await shaped(gw, [record])
    return shaped_one


async def _media(gw: Gateway, account_id: int, media_id: int) -> dict[str, Any] | None:
    try:
        info = await bus.call(gw.nc, posts_api.MEDIA_GET,
                              posts_api.MediaRef(account_id=account_id, media_id=media_id))
    except errors.NotFound:  # deleted since it was scheduled: it will not be posted
        return None
    return uploads.render(gw, info)
