"""The notification policy's rule (services/notify/policy.py), as a table: which sender, which
notification, which policy, and what becomes of it."""

from __future__ import annotations

import pytest

from services.notify.policy import Sender, may_apply, verdict
from shared.contracts.notify import Policy

NOW = 1_800_000_000_000
DAY = 86_400_000
OLD = NOW - 400 * DAY  # an account made long ago
STRANGER = Sender(recipient_follows=False, follower_since=None, created_at=OLD)
FOLLOWED = Sender(recipient_follows=True, follower_since=None, created_at=OLD)
FOLLOWER = Sender(recipient_follows=False, follower_since=NOW - 10 * DAY, created_at=OLD)
NEW_FOLLOWER = Sender(recipient_follows=False, follower_since=NOW - DAY, created_at=OLD)
FRIEND = Sender(recipient_follows=True, follower_since=NOW - 10 * DAY, created_at=OLD)
NEWCOMER = Sender(recipient_follows=True, follower_since=NOW - 10 * DAY,
                  created_at=NOW - 5 * DAY)
PERMITTED = Sender(recipient_follows=False, follower_since=None, created_at=NOW - DAY,
                   permitted=True)
LIMITED = Sender(recipient_follows=False, follower_since=None, created_at=OLD, limited=True)

DEFAULT = Policy()
STRICT = Policy(for_not_following="filter", for_not_followers="filter",
                for_new_accounts="drop", for_private_mentions="drop")
FOLLOWERS_ONLY = Policy(for_not_followers="filter", for_private_mentions="accept")

CASES = [  # (policy, type, sender, private mention?, verdict)
    (DEFAULT, "favourite", STRANGER, False, "accept"),
    (DEFAULT, "mention", STRANGER, False, "accept"),
    (DEFAULT, "mention", STRANGER, True, "filter"),  # Mastodon's default
    (DEFAULT, "mention", FOLLOWED, True, "accept"),  # one the recipient follows
    (DEFAULT, "mention", PERMITTED, True, "accept"),  # accepted before
    (DEFAULT, "favourite", LIMITED, False, "filter"),
    (DEFAULT, "favourite", FRIEND, False, "accept"),
    (STRICT, "favourite", STRANGER, False, "filter"),
    (STRICT, "follow", FOLLOWED, False, "filter"),  # not a follower
    (STRICT, "follow", FRIEND, False, "accept"),
    (STRICT, "mention", NEWCOMER, False, "drop"),  # drop beats filter
    (STRICT, "mention", STRANGER, True, "drop"),
    (STRICT, "mention", FOLLOWED, True, "filter"),  # followed, but not a follower
    (STRICT, "reblog", PERMITTED, False, "accept"),
    (STRICT, "status", STRANGER, False, "accept"),  # asked for (the bell): never filtered
    (STRICT, "poll", STRANGER, False, "accept"),
    (STRICT, "update", NEWCOMER, False, "accept"),
    (STRICT, "hubbub.community_invite", STRANGER, False, "accept"),
    (FOLLOWERS_ONLY, "favourite", FOLLOWER, False, "accept"),
    (FOLLOWERS_ONLY, "favourite", NEW_FOLLOWER, False, "filter"),  # under three days
    (FOLLOWERS_ONLY, "follow_request", STRANGER, False, "filter"),
    (FOLLOWERS_ONLY, "mention", FOLLOWED, True, "filter"),
]


@pytest.mark.parametrize(("policy", "type_", "sender", "private", "expected"), CASES)
def test_what_the_policy_makes_of_a_notification(policy: Policy, type_: str, sender: Sender,
                                                 private: bool, expected: str) -> None:
    assert verdict(policy, type_, sender, private_mention=private, now_ms=NOW) == expected


@pytest.mark.parametrize(("policy", "type_", "sender", "private", "expected"), CASES)
def test_facts_are_asked_whenever_they_could_matter(policy: Policy, type_: str, sender: Sender,
                                                    private: bool, expected: str) -> None:
    """Skipping the sender's facts never changes a verdict (no sender is limited in Hubbub)."""
    if not may_apply(policy, type_, private_mention=private) and not sender.limited:
        assert expected == "accept"


def test_the_default_asks_only_for_private_mentions() -> None:
    assert may_apply(DEFAULT, "mention", private_mention=True)
    for type_ in ("mention", "favourite", "reblog", "follow", "status"):
        assert not may_apply(DEFAULT, type_, private_mention=False)
