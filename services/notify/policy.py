"""What a recipient's notification policy makes of a notification: accept it, filter it (kept,
left out of the list and the stream, gathered into the sender's request) or drop it (nothing is
stored). Mastodon's NotifyService::FilterCondition as one pure rule; held to a table by
tests/unit/test_notification_policy.py.

Each of the policy's conditions that holds for the sender brings its action; the strictest
wins (drop, then filter). Types a person asked for (posts of those they rang the bell for, polls
they voted in, edits, Hubbub's community notifications) are never filtered, nor is a sender
whose request the recipient accepted. A direct mention is private only when it does not answer
the recipient, and the recipient does not follow its author."""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts.notify import Policy, PolicyAction

# Mastodon's filterable types (Notification::PROPERTIES).
FILTERABLE = frozenset({"mention", "reblog", "follow", "follow_request", "favourite"})
NEW_ACCOUNT_MS = 30 * 86_400_000  # an account younger than this is new
NEW_FOLLOWER_MS = 3 * 86_400_000  # a follower of less than this does not count yet


@dataclass(frozen=True)
class Sender:
    """What the rule knows of the sender, as the recipient sees them."""

    recipient_follows: bool
    follower_since: int | None  # ms since the Unix epoch, or None: not a follower
    created_at: int  # ms since the Unix epoch
    permitted: bool = False  # the recipient accepted a request of theirs
    limited: bool = False  # limited by a moderator (Hubbub has no such thing yet)


def deciding_fields(type_: str, *, private_mention: bool) -> tuple[str, ...]:
    """The policy's fields that may decide a notification of this type: those whose action
    could apply to some sender (none for a type never filtered)."""
    if type_ not in FILTERABLE:
        return ()
    # for_limited_accounts is left out: no account is limited in Hubbub, so it never holds.
    fields = ("for_not_following", "for_not_followers", "for_new_accounts")
    return (*fields, "for_private_mentions") if private_mention else fields


def may_apply(policy: Policy, type_: str, *, private_mention: bool) -> bool:
    """Whether the rule could say anything but accept: if not, the sender's facts are not
    worth asking for. (The notifications that need nothing more are also told apart in SQL:
    services/notify/store/plain.py, from ``deciding_fields``.)"""
    return any(getattr(policy, field) != "accept"
               for field in deciding_fields(type_, private_mention=private_mention))


def verdict(policy: Policy, type_: str, sender: Sender, *, private_mention: bool,
            now_ms: int) -> PolicyAction:
    if type_ not in FILTERABLE or sender.permitted:
        return "accept"
    actions: list[PolicyAction] = []
    if not sender.recipient_follows:
        actions.append(policy.for_not_following)
        if private_mention:
            actions.append(policy.for_private_mentions)
        if sender.limited:
            actions.append(policy.for_limited_accounts)
    if sender.follower_since is None or now_ms - sender.follower_since < NEW_FOLLOWER_MS:
        actions.append(policy.for_not_followers)
    if now_ms - sender.created_at < NEW_ACCOUNT_MS:
        actions.append(policy.for_new_accounts)
    if "drop" in actions:
        return "drop"
    return "filter" if "filter" in actions else "accept"
