"""The graph service's API for lists (Mastodon lists: a reader's own selection of followees)."""

from __future__ import annotations

import msgspec


class ListRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    account_id: int
    title: str
    replies_policy: str = "list"
    exclusive: bool = False


class SaveList(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    title: str
    replies_policy: str = "list"
    exclusive: bool = False
    id: int | None = None  # None creates


class ListRef(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the owner (every list call is the owner's)
    id: int


class OwnerLists(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    member_id: int | None = None  # only the lists holding this account


class Lists(msgspec.Struct, frozen=True, kw_only=True):
    lists: list[ListRecord]


class ListMembers(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    id: int
    account_ids: list[int]


class ListsContaining(msgspec.Struct, frozen=True, kw_only=True):
    """For fanout: every list that holds this author."""

    author_id: int


class ListTarget(msgspec.Struct, frozen=True, kw_only=True):
    list_id: int
    owner_id: int


class ListTargets(msgspec.Struct, frozen=True, kw_only=True):
    targets: list[ListTarget]
