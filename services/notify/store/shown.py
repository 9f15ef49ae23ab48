"""Which of an account's notifications a read shows, as one SQL condition that a statement may
apply to several aliases (the page's rows, and the group members each is compared with) with
the same parameters. Only placeholders and the store's own aliases become SQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_ALIAS = re.compile(r"^[a-z]$")


class Params:
    """The positional parameters of one statement: each value added once, named ``$n``."""

    def __init__(self) -> None:
        self.args: list[object] = []

    def add(self, value: object) -> str:
        self.args.append(value)
        return f"${len(self.args)}"


def ungrouped_id(group_key: str) -> int | None:
    """The notification an ``ungrouped-<id>`` key names (Mastodon's form for one alone)."""
    if not group_key.startswith("ungrouped-"):
        return None
    digits = group_key.removeprefix("ungrouped-")
    return int(digits) if digits.isdigit() and len(digits) < 19 else -1


@dataclass(frozen=True)
class Shown:
    account_id: int
    types: Sequence[str] = ()  # empty: every type
    exclude_types: Sequence[str] = ()
    from_account_id: int | None = None
    # Filtered notifications stay out unless asked for, or unless the read is of one sender's
    # (a notification request's page shows them: Mastodon's browserable scope).
    include_filtered: bool = False
    exclude_from: Sequence[int] = ()  # senders the reader hid
    group_key: str | None = None  # one group's members (``ungrouped-<id>``: that one)

    def where(self, params: Params) -> Callable[[str], str]:
        """The condition, for an alias of ``notifications``."""
        parts = [f"@.account_id = {params.add(self.account_id)}", "@.dismissed_at IS NULL"]
        if not self.include_filtered and self.from_account_id is None \
                and self.group_key is None:
            parts.append("NOT @.filtered")
        if self.types:
            parts.append(f"@.type = ANY({params.add(list(self.types))}::text[])")
        if self.exclude_types:
            parts.append(f"NOT (@.type = ANY({params.add(list(self.exclude_types))}::text[]))")
        if self.from_account_id is not None:
            parts.append(f"@.from_account_id = {params.add(self.from_account_id)}")
        if self.exclude_from:
            parts.append(
                f"NOT (@.from_account_id = ANY({params.add(list(self.exclude_from))}::bigint[]))")
        if self.group_key is not None:
            alone = ungrouped_id(self.group_key)
            if alone is None:
                parts.append(f"@.group_key = {params.add(self.group_key)}")
            else:
                parts.append(f"@.id = {params.add(alone)}")
        sql = " AND ".join(parts)

        def on(alias: str) -> str:
            if not _ALIAS.match(alias):
                raise ValueError(f"not an alias: {alias!r}")
            return sql.replace("@.", f"{alias}.")

        return on
