"""The posts service's API: statuses."""

from __future__ import annotations

import msgspec

from shared.records import StatusRecord

SERVICE = "posts"


class CreateStatus(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    network_id: int
    text: str
    visibility: str = "public"
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    in_reply_to_id: int | None = None
    idempotency_key: str | None = None


class GetStatuses(msgspec.Struct, frozen=True, kw_only=True):
    ids: list[int]


class Statuses(msgspec.Struct, frozen=True, kw_only=True):
    statuses: list[StatusRecord]


class RecentByAuthor(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    limit: int = 40


class Ids(msgspec.Struct, frozen=True, kw_only=True):
    ids: list[int]
