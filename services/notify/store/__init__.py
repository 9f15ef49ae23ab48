"""SQL for the notify schema, one module per part of it: ``store.<function>`` for the
notifications table and markers; ``store.groups`` and ``store.policies`` as modules of their own."""

from __future__ import annotations

from services.notify.store import groups, plain, policies, thread_mutes
from services.notify.store.markers import markers, set_marker
from services.notify.store.notifications import (
    delete_for_status,
    delete_one,
    dismiss,
    dismiss_all,
    dismiss_group,
    get,
    insert,
    page,
    unread_count,
)
from services.notify.store.shown import Shown

__all__ = [
    "Shown", "delete_for_status", "delete_one", "dismiss", "dismiss_all", "dismiss_group", "get",
    "groups", "insert", "markers", "page", "plain", "policies", "set_marker", "thread_mutes",
    "unread_count",
]
