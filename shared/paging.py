"""Mastodon's max_id / since_id / min_id paging as SQL: the one place every store's paged query
gets its bounds, order and limit from.

Only integers travel as parameters; the column is the store's own constant (checked here), so
no text from a request ever becomes SQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


@dataclass(frozen=True)
class IdWindow:
    """`` AND column < $n ... ORDER BY column ... LIMIT $m`` and its parameters, to append to a
    query whose WHERE already holds ``first_arg - 1`` parameters."""

    sql: str
    args: list[int]
    ascending: bool

    def newest_first(self, rows: Sequence[T]) -> list[T]:
        """min_id pages the oldest newer rows first; shown newest first like every other page."""
        return list(reversed(rows)) if self.ascending else list(rows)


def id_window(column: str, *, max_id: int | None, since_id: int | None, min_id: int | None,
              limit: int, max_limit: int, first_arg: int) -> IdWindow:
    if not _COLUMN.match(column):
        raise ValueError(f"not a column: {column!r}")
    args: list[int] = []
    bounds = []
    for value, op in ((max_id, "<"), (since_id, ">"), (min_id, ">")):
        if value is not None:
            args.append(int(value))
            bounds.append(f" AND {column} {op} ${first_arg + len(args) - 1}")
    ascending = min_id is not None and max_id is None
    args.append(max(1, min(int(limit), max_limit)))
    sql = (f"{''.join(bounds)} ORDER BY {column} {'ASC' if ascending else 'DESC'} "
           f"LIMIT ${first_arg + len(args) - 1}")
    return IdWindow(sql=sql, args=args, ascending=ascending)
