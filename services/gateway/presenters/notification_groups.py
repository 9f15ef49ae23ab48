"""Mastodon 4.3's grouped notifications, notification policy and notification requests
(docs.joinmastodon.org/methods/grouped_notifications, entities/NotificationPolicy and
NotificationRequest)."""

from __future__ import annotations

from typing import Any

from services.gateway.presenters.mastodon import iso
from shared.contracts import notify as api


def group(g: api.NotificationGroup) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "group_key": g.group_key,
        "notifications_count": g.notifications_count,
        "type": g.type,
        "most_recent_notification_id": str(g.most_recent_notification_id),
    }
    if g.page_max_id is not None:
        shaped["page_min_id"] = str(g.page_min_id)
        shaped["page_max_id"] = str(g.page_max_id)
        shaped["latest_page_notification_at"] = iso(g.latest_at)
    shaped["sample_account_ids"] = [str(i) for i in g.sample_account_ids]
    if g.status_id is not None:
        shaped["status_id"] = str(g.status_id)
    if g.community_id is not None:
        shaped["hubbub"] = {"community_id": str(g.community_id)}
    return shaped


def results(accounts: list[dict[str, Any]], statuses: list[dict[str, Any]],
            groups: list[dict[str, Any]]) -> dict[str, Any]:
    """GroupedNotificationsResults (``partial_avatars`` is answered in full: no
    ``partial_accounts``, which the docs make optional)."""
    return {"accounts": accounts, "statuses": statuses, "notification_groups": groups}


def policy_v2(reply: api.PolicyReply) -> dict[str, Any]:
    p = reply.policy
    return {"for_not_following": p.for_not_following,
            "for_not_followers": p.for_not_followers,
            "for_new_accounts": p.for_new_accounts,
            "for_private_mentions": p.for_private_mentions,
            "for_limited_accounts": p.for_limited_accounts,
            "summary": _summary(reply.summary)}


def policy_v1(reply: api.PolicyReply) -> dict[str, Any]:
    """The 4.2-era shape: each condition filters or not (a drop counts as filtering)."""
    p = reply.policy
    return {"filter_not_following": p.for_not_following != "accept",
            "filter_not_followers": p.for_not_followers != "accept",
            "filter_new_accounts": p.for_new_accounts != "accept",
            "filter_private_mentions": p.for_private_mentions != "accept",
            "summary": _summary(reply.summary)}


def _summary(s: api.PolicySummary) -> dict[str, int]:
    return {"pending_requests_count": s.pending_requests_count,
            "pending_notifications_count": s.pending_notifications_count}


def request(r: api.NotificationRequest, account: dict[str, Any],
            last_status: dict[str, Any] | None) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "id": str(r.id),
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
        # A string in Mastodon's serializer, and so in its docs' examples.
        "notifications_count": str(r.notifications_count),
        "account": account,
    }
    if last_status is not None:
        shaped["last_status"] = last_status
    return shaped
