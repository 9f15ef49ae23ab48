"""Turn ids into Mastodon JSON with as few round trips as possible: one Redis multi-get for the
records the owners cached, one request to the owner for the misses (which refills the cache),
and the reader's own flags (favourited, reblogged, bookmarked, pinned, votes) from their cache in
the same round trip as the accounts (a miss asks posts, which fills it; shared/viewer_cache).

A timeline page (``Hydrator.page``, the hottest read) reads the statuses, their accounts and the
reader's flags in one round trip (timeline_page.py). The in-process caches hold decoded records
and JSON pieces by the exact cached bytes they came from, so a change (a new version of the
bytes) is seen by the next read: none can serve a stale status, account or flag
(tests/gateway/test_home_caches.py).

The Hydrator (hydrator.py) is the façade the gateway uses."""

from services.gateway.hydrate.filter import post_facts
from services.gateway.hydrate.hydrator import Hydrator

__all__ = ["Hydrator", "post_facts"]
