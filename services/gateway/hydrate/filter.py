"""What a reader gets to see of statuses already read: the visibility policy, and the accounts
the reader muted or blocked. No I/O: the originals of reblogs are handed in."""

from __future__ import annotations

from shared import policy
from shared.records import StatusRecord


def post_facts(status: StatusRecord) -> policy.PostFacts:
    return policy.PostFacts(author_id=status.account_id, network_id=status.network_id,
                            visibility=status.visibility, mentions=status.mentions,
                            community_id=status.community_id)


def visible(statuses: list[StatusRecord], originals: dict[int, StatusRecord],
            viewer: policy.Viewer) -> list[StatusRecord]:
    """Keep what the viewer may see; a reblog needs both itself and its original visible."""
    kept = []
    for s in statuses:
        if not policy.can_see(post_facts(s), viewer):
            continue
        if s.reblog_of_id is not None:
            original = originals.get(s.reblog_of_id)
            if original is None or not policy.can_see(post_facts(original), viewer):
                continue
        kept.append(s)
    return kept


def without_authors(statuses: list[StatusRecord], originals: dict[int, StatusRecord],
                    hidden: set[int]) -> list[StatusRecord]:
    """Drop statuses by (or reblogging) accounts in ``hidden``."""
    kept = []
    for s in statuses:
        original = originals.get(s.reblog_of_id) if s.reblog_of_id else None
        if s.account_id in hidden or (original is not None and original.account_id in hidden):
            continue
        kept.append(s)
    return kept
