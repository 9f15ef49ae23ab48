"""The fanout service's API: timeline rebuilds (the rest of its work comes as events)."""

from __future__ import annotations

import msgspec

from shared.contracts.verb import IDEMPOTENT, VerbSet

SERVICE = "fanout"
DONE = "done"
IN_PROGRESS = "in_progress"


class RebuildHome(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int


class RebuildReply(msgspec.Struct, frozen=True, kw_only=True):
    state: str  # DONE, or IN_PROGRESS when another rebuild of the same timeline runs
    entries: int = 0


# Every verb fanout answers (``hubbub.svc.fanout.<name>``), declared once.
VERBS = VerbSet(SERVICE)

HOME_REBUILD = VERBS.declare("home.rebuild", RebuildHome, RebuildReply, kind=IDEMPOTENT)
