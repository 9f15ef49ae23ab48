"""services.graph.store.profiles: the profile UPDATE names only columns from its fixed list."""

from __future__ import annotations

import asyncio

from services.graph.store.profiles import PROFILE_COLUMNS, ProfileChanges, update_profile


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def execute(self, sql: str, *args: object) -> None:
        self.calls.append((sql, *args))


def test_only_given_columns_change_and_none_is_a_value() -> None:
    changes = ProfileChanges(note="hi", avatar_url=None, locked=False)
    assert changes.given() == {"note": "hi", "locked": False, "avatar_url": None}


def test_statement_is_built_from_the_whitelist() -> None:
    conn = Recorder()
    changes = ProfileChanges(display_name="x", default_language=None)
    changed = asyncio.run(update_profile(conn, 7, changes))  # type: ignore[arg-type]
    assert changed
    [(sql, *args)] = conn.calls
    assert sql == "UPDATE accounts SET display_name = $2, default_language = $3 WHERE id = $1"
    assert args == [7, "x", None]
    assert {"display_name", "default_language"} <= set(PROFILE_COLUMNS)


def test_nothing_given_writes_nothing() -> None:
    conn = Recorder()
    assert not asyncio.run(update_profile(conn, 7, ProfileChanges()))  # type: ignore[arg-type]
    assert conn.calls == []
