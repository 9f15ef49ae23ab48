"""SQL for the profile's owner-editable columns.

The UPDATE's column names come from ``ProfileChanges``'s own fields, a fixed list in this
module, never from a request: only values travel as parameters."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
from msgspec import UNSET, UnsetType


class ProfileChanges(msgspec.Struct, kw_only=True, frozen=True):
    """The new value of each column to change; UNSET leaves a column as it is (None writes
    NULL where the column allows it)."""

    display_name: str | UnsetType = UNSET
    note: str | UnsetType = UNSET
    title: str | UnsetType = UNSET
    department: str | UnsetType = UNSET
    locked: bool | UnsetType = UNSET
    bot: bool | UnsetType = UNSET
    discoverable: bool | UnsetType = UNSET
    avatar_url: str | None | UnsetType = UNSET  # None: back to the default picture
    header_url: str | None | UnsetType = UNSET
    fields: str | UnsetType = UNSET  # JSON text of [{"name", "value"}]
    default_privacy: str | UnsetType = UNSET
    default_sensitive: bool | UnsetType = UNSET
    default_language: str | None | UnsetType = UNSET

    def given(self) -> dict[str, Any]:
        """Column -> new value, for the columns that change."""
        return {column: value for column in PROFILE_COLUMNS
                if (value := getattr(self, column)) is not UNSET}


PROFILE_COLUMNS: tuple[str, ...] = ProfileChanges.__struct_fields__


async def update_profile(conn: asyncpg.Connection, account_id: int, changes: ProfileChanges
                         ) -> bool:
    """Write the changed columns; whether there were any."""
    given = changes.given()
    if not given:
        return False
    assignments = ", ".join(f"{column} = ${i + 2}" for i, column in enumerate(given))
    await conn.execute(f"UPDATE accounts SET {assignments} WHERE id = $1",
                       account_id, *given.values())
    return True
