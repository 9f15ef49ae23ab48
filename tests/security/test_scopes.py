"""OAuth scopes as Mastodon documents them (docs.joinmastodon.org/api/oauth-scopes): every route
declares its scope, the declarations match Mastodon's table, and a token is refused (403,
Mastodon's message) wherever its scopes do not reach, on every route and every stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from litestar import Litestar, Request, Response, get
from litestar.testing import TestClient
from websockets.asyncio.client import connect

from services.gateway import scopes
from services.gateway.app import create_app
from services.gateway.scopes import Need, PerParam, PerStream
from shared import errors
from shared.settings import from_env
from tests.helpers import Api, User, other_domain, unique
from tests.helpers.oauth import REDIRECT, code_of, exchange, pkce, query, sign_in
from tests.helpers.streaming import ws_url

OUTSIDE = {"error": "This action is outside the authorized scopes"}

# --- what grants what (no servers) --------------------------------------------------------------

GRANTS = [  # (token's scopes, needed, granted?)
    ("read", "read:statuses", True),
    ("read", "read", True),
    ("read:statuses", "read", False),
    ("read:statuses", "read:notifications", False),
    ("write", "read:statuses", False),
    ("write", "write:follows", True),
    ("follow", "write:follows", True),
    ("follow", "read:blocks", True),
    ("follow", "write:mutes", True),
    ("follow", "write:statuses", False),
    ("follow", "read:statuses", False),
    ("write:follows", "write:blocks", False),
    ("profile", "read:accounts", False),
    ("push", "read", False),
    ("write", "admin:write", False),
    ("write", "admin:write:accounts", False),
    ("admin:write", "admin:write:accounts", True),
    ("admin:write", "admin:read", False),
    ("admin:read", "admin:read:accounts", True),
    ("admin:read:accounts", "admin:read", False),
    ("read write follow push", "admin:read:accounts", False),
]


@pytest.mark.parametrize(("held", "needed", "granted"), GRANTS)
def test_what_a_scope_grants(held: str, needed: str, granted: bool) -> None:
    assert scopes.grants(frozenset(held.split()), needed) is granted


def test_requested_scopes_are_mastodons_and_within_the_app() -> None:
    assert scopes.parse("read:statuses write:follows admin:read:accounts") == [
        "read:statuses", "write:follows", "admin:read:accounts"]
    for bad in ("read:nonsense", "admin", "write:everything", "root"):
        with pytest.raises(Exception, match="Invalid scope"):
            scopes.parse(bad)
    assert scopes.parse("read:statuses", within=["read"]) == ["read:statuses"]
    assert scopes.parse("write:follows", within=["follow"]) == ["write:follows"]
    for wider in ("write", "read", "admin:read"):
        with pytest.raises(Exception, match="requested scope is invalid"):
            scopes.parse(wider, within=["read:statuses"])


# --- every route declares, as Mastodon's table says ----------------------------------------------

R, W = "read", "write"
# (method, path) -> the declaration: a scope ("a|b": either), "anon:" prefix when anonymous
# readers are served too, "app:" when an app's token will do, None for public routes,
# "stream" for streaming, or {action: scope} for routes serving several actions.
TABLE: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/instance"): None, ("GET", "/api/v2/instance"): None,
    ("GET", "/api/openapi.json"): None,  # the API's own description, public
    # Discovery, before sign-in (routes/discovery.py says what a stranger learns there).
    ("GET", "/.well-known/oauth-authorization-server"): None,
    ("GET", "/.well-known/nodeinfo"): None, ("GET", "/nodeinfo/2.0"): None,
    ("GET", "/nodeinfo/2.1"): None, ("GET", "/.well-known/host-meta"): None,
    ("GET", "/.well-known/webfinger"): None,
    ("GET", "/healthz"): None, ("GET", "/readyz"): None, ("GET", "/metrics"): None,
    ("GET", "/avatars/original/missing.png"): None,
    # Media files (routes/files.py): no token; media/ keys need their URL's signature instead.
    ("GET", "/files/{key:path}"): None, ("HEAD", "/files/{key:path}"): None,
    ("GET", "/headers/original/missing.png"): None,
    ("POST", "/api/v1/apps"): None, ("GET", "/api/v1/apps/verify_credentials"): "app:",
    ("POST", "/oauth/token"): None, ("POST", "/oauth/revoke"): None,
    ("GET", "/oauth/authorize"): None, ("GET", "/oauth/sign_up"): None,
    ("POST", "/oauth/authorize"): None,
    ("POST", "/oauth/sign_up"): None,
    ("GET", "/setup"): None, ("POST", "/setup"): None,
    ("GET", "/auth/confirmation"): None, ("POST", "/auth/confirmation"): None,
    ("POST", "/oauth/sso"): None, ("GET", "/auth/sso/callback"): None,
    ("PATCH", "/api/v1/accounts/update_credentials"): "write:accounts",
    ("DELETE", "/api/v1/profile/avatar"): "write:accounts",
    ("DELETE", "/api/v1/profile/header"): "write:accounts",
    ("GET", "/api/v1/accounts/lookup"): "read:accounts",
    ("GET", "/api/v1/accounts/search"): "read:accounts",
    ("GET", "/api/v2/suggestions"): R, ("GET", "/api/v1/suggestions"): R,
    ("GET", "/api/v1/accounts/{account_id:str}/statuses"): "anon:read:statuses",
    ("GET", "/api/v1/accounts/{account_id:str}/followers"): "read:accounts",
    ("GET", "/api/v1/accounts/{account_id:str}/following"): "read:accounts",
    ("POST", "/api/v1/accounts/{account_id:str}/{action:str}"): {
        "block": "write:blocks", "unblock": "write:blocks", "mute": "write:mutes",
        "unmute": "write:mutes", "remove_from_followers": "write:follows"},
    ("GET", "/api/v1/blocks"): "read:blocks", ("GET", "/api/v1/mutes"): "read:mutes",
    ("GET", "/api/v1/follow_requests"): "read:follows",
    ("POST", "/api/v1/follow_requests/{account_id:str}/{answer:str}"): "write:follows",
    ("POST", "/api/v1/accounts"): "app:write:accounts",
    ("GET", "/api/v1/accounts/verify_credentials"): "read:accounts|profile",
    ("GET", "/api/v1/accounts/relationships"): "read:follows",
    ("GET", "/api/v1/accounts/{account_id:str}"): "anon:read:accounts",
    ("GET", "/api/v1/accounts"): "read:accounts",
    ("GET", "/api/v1/accounts/{account_id:str}/featured_tags"): "read:accounts",
    ("POST", "/api/v1/accounts/{account_id:str}/follow"): "write:follows",
    # account extras (routes/account_extras.py)
    ("POST", "/api/v1/accounts/{account_id:str}/note"): "write:accounts",
    ("POST", "/api/v1/accounts/{account_id:str}/pin"): "write:accounts",
    ("POST", "/api/v1/accounts/{account_id:str}/unpin"): "write:accounts",
    ("POST", "/api/v1/accounts/{account_id:str}/endorse"): "write:accounts",
    ("POST", "/api/v1/accounts/{account_id:str}/unendorse"): "write:accounts",
    ("GET", "/api/v1/endorsements"): "read:accounts",
    ("GET", "/api/v1/featured_tags"): "read:accounts",
    ("POST", "/api/v1/featured_tags"): "write:accounts",
    ("DELETE", "/api/v1/featured_tags/{featured_tag_id:str}"): "write:accounts",
    ("GET", "/api/v1/featured_tags/suggestions"): "read:accounts",
    ("POST", "/api/v1/tags/{name:str}/feature"): "write:accounts",
    ("POST", "/api/v1/tags/{name:str}/unfeature"): "write:accounts",
    ("GET", "/api/v1/accounts/familiar_followers"): "read:follows",
    # Mastodon serves the directory to anyone; Hubbub to its network's members only.
    ("GET", "/api/v1/directory"): "read:accounts",
    # status extras (routes/status_extras.py)
    ("POST", "/api/v1/statuses/{status_id:str}/mute"): "write:mutes",
    ("POST", "/api/v1/statuses/{status_id:str}/unmute"): "write:mutes",
    ("POST", "/api/v1/statuses/{status_id:str}/translate"): "read:statuses",
    # instance extras (routes/instance_extras.py); activity: a member's token, any scope
    ("GET", "/api/v1/instance/peers"): None, ("GET", "/api/v1/instance/activity"): "",
    ("GET", "/api/v1/instance/languages"): None,
    ("GET", "/api/v1/instance/translation_languages"): None,
    ("GET", "/api/v1/instance/extended_description"): None,
    ("GET", "/api/v1/instance/domain_blocks"): None,
    ("POST", "/api/v1/accounts/{account_id:str}/unfollow"): "write:follows",
    ("GET", "/api/v1/statuses"): "anon:read:statuses",
    ("POST", "/api/v1/statuses"): "write:statuses",
    ("GET", "/api/v1/statuses/{status_id:str}"): "anon:read:statuses",
    ("PUT", "/api/v1/statuses/{status_id:str}"): "write:statuses",
    ("DELETE", "/api/v1/statuses/{status_id:str}"): "write:statuses",
    ("GET", "/api/v1/statuses/{status_id:str}/context"): "anon:read:statuses",
    ("GET", "/api/v1/statuses/{status_id:str}/card"): "anon:read:statuses",
    ("GET", "/api/v1/statuses/{status_id:str}/history"): "anon:read:statuses",
    ("GET", "/api/v1/statuses/{status_id:str}/source"): "read:statuses",
    ("POST", "/api/v1/statuses/{status_id:str}/{action:str}"): {
        "reblog": "write:statuses", "unreblog": "write:statuses",
        "favourite": "write:favourites", "unfavourite": "write:favourites",
        "bookmark": "write:bookmarks", "unbookmark": "write:bookmarks",
        "pin": "write:accounts", "unpin": "write:accounts"},
    ("GET", "/api/v1/statuses/{status_id:str}/favourited_by"): "anon:read:accounts",
    ("GET", "/api/v1/statuses/{status_id:str}/reblogged_by"): "anon:read:accounts",
    ("GET", "/api/v1/favourites"): "read:favourites",
    ("GET", "/api/v1/bookmarks"): "read:bookmarks",
    ("GET", "/api/v1/polls/{poll_id:str}"): "anon:read:statuses",
    ("POST", "/api/v2/media"): "write:media", ("POST", "/api/v1/media"): "write:media",
    ("GET", "/api/v1/media/{media_id:str}"): "write:media",
    ("PUT", "/api/v1/media/{media_id:str}"): "write:media",
    ("DELETE", "/api/v1/media/{media_id:str}"): "write:media",
    ("POST", "/api/v1/polls/{poll_id:str}/votes"): "write:statuses",
    ("GET", "/api/v1/scheduled_statuses"): "read:statuses",
    ("GET", "/api/v1/scheduled_statuses/{scheduled_id:str}"): "read:statuses",
    ("PUT", "/api/v1/scheduled_statuses/{scheduled_id:str}"): "write:statuses",
    ("DELETE", "/api/v1/scheduled_statuses/{scheduled_id:str}"): "write:statuses",
    ("GET", "/api/v1/timelines/home"): "read:statuses",
    ("GET", "/api/v1/timelines/public"): "read:statuses",
    ("GET", "/api/v1/timelines/tag/{hashtag:str}"): "read:statuses",
    ("GET", "/api/v1/notifications"): "read:notifications",
    ("GET", "/api/v1/notifications/unread_count"): "read:notifications",
    ("GET", "/api/v1/notifications/{notification_id:str}"): "read:notifications",
    ("POST", "/api/v1/notifications/{notification_id:str}/dismiss"): "write:notifications",
    ("POST", "/api/v1/notifications/clear"): "write:notifications",
    ("GET", "/api/v1/notifications/policy"): "read:notifications",
    ("PATCH", "/api/v1/notifications/policy"): "write:notifications",
    ("GET", "/api/v1/notifications/requests"): "read:notifications",
    ("GET", "/api/v1/notifications/requests/merged"): "read:notifications",
    ("GET", "/api/v1/notifications/requests/{request_id:str}"): "read:notifications",
    ("POST", "/api/v1/notifications/requests/{request_id:str}/accept"): "write:notifications",
    ("POST", "/api/v1/notifications/requests/{request_id:str}/dismiss"): "write:notifications",
    ("POST", "/api/v1/notifications/requests/accept"): "write:notifications",
    ("POST", "/api/v1/notifications/requests/dismiss"): "write:notifications",
    ("GET", "/api/v2/notifications"): "read:notifications",
    ("GET", "/api/v2/notifications/unread_count"): "read:notifications",
    ("GET", "/api/v2/notifications/policy"): "read:notifications",
    ("PATCH", "/api/v2/notifications/policy"): "write:notifications",
    ("GET", "/api/v2/notifications/{group_key:str}"): "read:notifications",
    # Mastodon's docs say write:notifications; its controller asks read, as a read should.
    ("GET", "/api/v2/notifications/{group_key:str}/accounts"): "read:notifications",
    ("POST", "/api/v2/notifications/{group_key:str}/dismiss"): "write:notifications",
    ("GET", "/api/v1/markers"): "read:statuses", ("POST", "/api/v1/markers"): "write:statuses",
    ("GET", "/api/v1/conversations"): "read:statuses",
    ("DELETE", "/api/v1/conversations/{conversation_id:str}"): "write:conversations",
    ("POST", "/api/v1/conversations/{conversation_id:str}/read"): "write:conversations",
    ("POST", "/api/v1/push/subscription"): "push",
    ("GET", "/api/v1/push/subscription"): "push",
    ("PUT", "/api/v1/push/subscription"): "push",
    ("DELETE", "/api/v1/push/subscription"): "push",
    ("GET", "/api/v1/streaming/health"): None,
    ("websocket", "/api/v1/streaming"): "stream",
    ("GET", "/api/v1/streaming/{path:path}"): "stream",
    ("GET", "/api/hubbub/v1/communities"): R, ("POST", "/api/hubbub/v1/communities"): W,
    ("GET", "/api/hubbub/v1/communities/{community_id:str}"): R,
    # public feeds: the switches (the account's as its profile, a community's as the community)
    ("GET", "/api/hubbub/v1/feeds/settings"): "read:accounts",
    ("PUT", "/api/hubbub/v1/feeds/settings"): "write:accounts",
    ("GET", "/api/hubbub/v1/communities/{community_id:str}/feed"): R,
    ("PUT", "/api/hubbub/v1/communities/{community_id:str}/feed"): W,
    ("GET", "/communities/{name:str}"): None,  # a community's public feeds, for anyone
    ("POST", "/api/hubbub/v1/communities/{community_id:str}/join"): W,
    ("POST", "/api/hubbub/v1/communities/{community_id:str}/leave"): W,
    ("GET", "/api/hubbub/v1/communities/{community_id:str}/requests"): R,
    ("POST", "/api/hubbub/v1/communities/{community_id:str}/requests/{account_id:str}/approve"
     ): W,
    ("POST", "/api/hubbub/v1/communities/{community_id:str}/requests/{account_id:str}/reject"
     ): W,
    ("GET", "/api/hubbub/v1/communities/{community_id:str}/members"): R,
    ("POST", "/api/hubbub/v1/communities/{community_id:str}/invite"): W,
    ("PATCH", "/api/hubbub/v1/communities/{community_id:str}/members/{account_id:str}"): W,
    ("DELETE", "/api/hubbub/v1/communities/{community_id:str}/members/{account_id:str}"): W,
    ("POST", "/api/hubbub/v1/communities/{community_id:str}/notify"): W,
    ("GET", "/api/hubbub/v1/communities/{community_id:str}/feeds"): R,
    ("POST", "/api/hubbub/v1/communities/{community_id:str}/feeds"): W,
    ("DELETE", "/api/hubbub/v1/communities/{community_id:str}/feeds/{feed_id:str}"): W,
    ("GET", "/api/hubbub/v1/communities/{community_id:str}/incoming_webhooks"): R,
    ("POST", "/api/hubbub/v1/communities/{community_id:str}/incoming_webhooks"): W,
    ("DELETE", "/api/hubbub/v1/communities/{community_id:str}/incoming_webhooks/"
               "{hook_id:str}"): W,
    # An incoming webhook: no OAuth token looked at; the secret in its path is checked by posts.
    ("POST", "/api/hubbub/v1/hooks/{token:str}"): None,
    ("GET", "/api/hubbub/v1/timelines/community/{community_id:str}"): "read:statuses",
    ("GET", "/api/hubbub/v1/network"): R,
    ("GET", "/api/hubbub/v1/network/members"): "read:accounts",
    ("POST", "/api/v1/emails/confirmations"): "write:accounts",
    ("GET", "/api/v1/emails/check_confirmation"): "read:accounts",
    ("GET", "/api/hubbub/v1/network/domains"): "admin:read",
    ("POST", "/api/hubbub/v1/network/domains"): "admin:write",
    ("DELETE", "/api/hubbub/v1/network/domains/{domain:str}"): "admin:write",
    ("GET", "/api/hubbub/v1/network/requests"): "admin:read:accounts",
    ("POST", "/api/hubbub/v1/network/requests/{account_id:str}/{decision:str}"):
        "admin:write:accounts",
    ("PATCH", "/api/hubbub/v1/network"): "admin:write",
    ("POST", "/api/hubbub/v1/network/invitations"): "admin:write:accounts",
    ("POST", "/api/hubbub/v1/network/accounts/{account_id:str}/deactivate"):
        "admin:write:accounts",
    ("PATCH", "/api/hubbub/v1/network/members/{account_id:str}"): "admin:write:accounts",
    ("GET", "/api/hubbub/v1/network/audit"): "admin:read",
    # Reports and moderation (#17), Mastodon's admin scopes
    ("POST", "/api/v1/reports"): "write:reports",
    ("GET", "/api/v1/admin/accounts"): "admin:read:accounts",
    ("GET", "/api/v2/admin/accounts"): "admin:read:accounts",
    ("GET", "/api/v1/admin/accounts/{account_id:str}"): "admin:read:accounts",
    ("DELETE", "/api/v1/admin/accounts/{account_id:str}"): "admin:write:accounts",
    ("POST", "/api/v1/admin/accounts/{account_id:str}/{action:str}"): {
        a: "admin:write:accounts" for a in ("action", "approve", "reject", "enable",
                                            "unsilence", "unsuspend", "unsensitive")},
    ("GET", "/api/v1/admin/reports"): "admin:read:reports",
    ("GET", "/api/v1/admin/canonical_email_blocks"): "admin:read:canonical_email_blocks",
    ("GET", "/api/v1/admin/canonical_email_blocks/{block_id:str}"):
        "admin:read:canonical_email_blocks",
    ("POST", "/api/v1/admin/canonical_email_blocks/test"): "admin:read:canonical_email_blocks",
    ("POST", "/api/v1/admin/canonical_email_blocks"): "admin:write:canonical_email_blocks",
    ("DELETE", "/api/v1/admin/canonical_email_blocks/{block_id:str}"):
        "admin:write:canonical_email_blocks",
    ("GET", "/api/v1/admin/email_domain_blocks"): "admin:read:email_domain_blocks",
    ("GET", "/api/v1/admin/email_domain_blocks/{block_id:str}"): "admin:read:email_domain_blocks",
    ("POST", "/api/v1/admin/email_domain_blocks"): "admin:write:email_domain_blocks",
    ("DELETE", "/api/v1/admin/email_domain_blocks/{block_id:str}"):
        "admin:write:email_domain_blocks",
    ("POST", "/api/v1/admin/measures"): "admin:read",
    ("POST", "/api/v1/admin/dimensions"): "admin:read",
    ("POST", "/api/v1/admin/retention"): "admin:read",
    ("GET", "/api/v1/admin/ip_blocks"): "admin:read:ip_blocks",
    ("GET", "/api/v1/admin/ip_blocks/{block_id:str}"): "admin:read:ip_blocks",
    ("POST", "/api/v1/admin/ip_blocks"): "admin:write:ip_blocks",
    ("PUT", "/api/v1/admin/ip_blocks/{block_id:str}"): "admin:write:ip_blocks",
    ("DELETE", "/api/v1/admin/ip_blocks/{block_id:str}"): "admin:write:ip_blocks",
    ("GET", "/api/v1/admin/reports/{report_id:str}"): "admin:read:reports",
    ("POST", "/api/v1/admin/reports/{report_id:str}/{action:str}"): {
        a: "admin:write:reports" for a in ("assign_to_self", "unassign", "resolve", "reopen")},
    ("GET", "/api/hubbub/v1/network/sso"): "admin:read",
    ("PUT", "/api/hubbub/v1/network/sso"): "admin:write",
    ("DELETE", "/api/hubbub/v1/network/sso"): "admin:write",
    ("POST", "/api/hubbub/v1/network/scim_tokens"): "admin:write",
    ("GET", "/api/hubbub/v1/network/scim_tokens"): "admin:read",
    ("DELETE", "/api/hubbub/v1/network/scim_tokens/{token_id:str}"): "admin:write",
    # Outgoing webhooks (routes/webhooks.py): admin scopes on top of the network's or the
    # community's admin role
    ("POST", "/api/hubbub/v1/webhooks"): "admin:write",
    ("GET", "/api/hubbub/v1/webhooks"): "admin:read",
    ("GET", "/api/hubbub/v1/webhooks/{webhook_id:str}"): "admin:read",
    ("PUT", "/api/hubbub/v1/webhooks/{webhook_id:str}"): "admin:write",
    ("PATCH", "/api/hubbub/v1/webhooks/{webhook_id:str}"): "admin:write",
    ("DELETE", "/api/hubbub/v1/webhooks/{webhook_id:str}"): "admin:write",
    ("POST", "/api/hubbub/v1/webhooks/{webhook_id:str}/rotate"): "admin:write",
    ("POST", "/api/hubbub/v1/webhooks/{webhook_id:str}/ping"): "admin:write",
    ("GET", "/api/hubbub/v1/webhooks/{webhook_id:str}/deliveries"): "admin:read",
    ("GET", "/api/hubbub/v1/webhooks/{webhook_id:str}/dead_letters"): "admin:read",
    ("POST", "/api/hubbub/v1/webhooks/{webhook_id:str}/deliveries/{delivery_id:str}/replay"):
        "admin:write",
    # SCIM (routes/scim.py): no OAuth token looked at; a SCIM token of its own, checked there.
    **{(m, "/scim/v2" + p): "scim" for m, p in (
        ("GET", "/ServiceProviderConfig"), ("GET", "/Schemas"),
        ("GET", "/Schemas/{schema_id:str}"), ("GET", "/ResourceTypes"),
        ("GET", "/ResourceTypes/{type_id:str}"), ("POST", "/Users"), ("GET", "/Users"),
        ("GET", "/Users/{user_id:str}"), ("PUT", "/Users/{user_id:str}"),
        ("PATCH", "/Users/{user_id:str}"), ("DELETE", "/Users/{user_id:str}"),
        ("POST", "/Groups"), ("GET", "/Groups"), ("GET", "/Groups/{group_id:str}"),
        ("PUT", "/Groups/{group_id:str}"), ("PATCH", "/Groups/{group_id:str}"),
        ("DELETE", "/Groups/{group_id:str}"), ("POST", "/.search"),
        *((m2, "/{rest:path}") for m2 in ("GET", "POST", "PUT", "PATCH", "DELETE")))},
    ("GET", "/api/v1/tags/{name:str}"): "anon:read:statuses",
    ("POST", "/api/v1/tags/{name:str}/follow"): "write:follows",
    ("POST", "/api/v1/tags/{name:str}/unfollow"): "write:follows",
    ("GET", "/api/v1/followed_tags"): "read:follows",
    ("GET", "/api/v1/trends"): "read:statuses", ("GET", "/api/v1/trends/tags"): "read:statuses",
    ("GET", "/api/v1/trends/statuses"): "read:statuses",
    ("GET", "/api/v1/trends/links"): "read:statuses",
    ("GET", "/api/v1/timelines/link"): "read:statuses",
    ("GET", "/api/v2/search"): "read:search",
    ("GET", "/api/v1/lists"): "read:lists", ("POST", "/api/v1/lists"): "write:lists",
    ("GET", "/api/v1/lists/{list_id:str}"): "read:lists",
    ("PUT", "/api/v1/lists/{list_id:str}"): "write:lists",
    ("DELETE", "/api/v1/lists/{list_id:str}"): "write:lists",
    ("GET", "/api/v1/lists/{list_id:str}/accounts"): "read:lists",
    ("POST", "/api/v1/lists/{list_id:str}/accounts"): "write:lists",
    ("DELETE", "/api/v1/lists/{list_id:str}/accounts"): "write:lists",
    ("GET", "/api/v1/accounts/{account_id:str}/lists"): "read:lists",
    ("GET", "/api/v1/timelines/list/{list_id:str}"): "read:lists",
    ("GET", "/api/v1/filters"): "read:filters", ("POST", "/api/v1/filters"): "write:filters",
    ("GET", "/api/v1/filters/{filter_id:str}"): "read:filters",
    ("PUT", "/api/v1/filters/{filter_id:str}"): "write:filters",
    ("DELETE", "/api/v1/filters/{filter_id:str}"): "write:filters",
    ("GET", "/api/v2/filters"): "read:filters", ("POST", "/api/v2/filters"): "write:filters",
    ("GET", "/api/v2/filters/{filter_id:str}"): "read:filters",
    ("PUT", "/api/v2/filters/{filter_id:str}"): "write:filters",
    ("DELETE", "/api/v2/filters/{filter_id:str}"): "write:filters",
    ("GET", "/api/v2/filters/{filter_id:str}/keywords"): "read:filters",
    ("POST", "/api/v2/filters/{filter_id:str}/keywords"): "write:filters",
    ("GET", "/api/v2/filters/keywords/{keyword_id:str}"): "read:filters",
    ("PUT", "/api/v2/filters/keywords/{keyword_id:str}"): "write:filters",
    ("DELETE", "/api/v2/filters/keywords/{keyword_id:str}"): "write:filters",
    ("GET", "/api/v2/filters/{filter_id:str}/statuses"): "read:filters",
    ("POST", "/api/v2/filters/{filter_id:str}/statuses"): "write:filters",
    ("GET", "/api/v2/filters/statuses/{filter_status_id:str}"): "read:filters",
    ("DELETE", "/api/v2/filters/statuses/{filter_status_id:str}"): "write:filters",
    ("GET", "/api/v1/preferences"): "read:accounts", ("GET", "/api/v1/custom_emojis"): None,
    ("GET", "/api/v1/announcements"): R, ("GET", "/api/v1/instance/rules"): None,
    ("GET", "/web/assets/{version:str}/{name:path}"): None,
    **{("GET", p): None for p in ("/", "/web", "/web/{rest:path}", "/tags/{name:str}",
                                  "/invite/{code:str}", "/{handle:str}",
                                  "/{handle:str}/{rest:path}")},
}


def _shown(declared: scopes.Declared) -> Any:
    """A declaration in the table's words."""
    if declared is None:
        return None
    if isinstance(declared, PerStream):
        return "stream"
    if isinstance(declared, scopes.OwnBearer):
        return "scim"
    if isinstance(declared, PerParam):
        return {action: _shown(need) for action, need in declared.needs.items()}
    assert isinstance(declared, Need)
    return (("anon:" if declared.anonymous else "") + ("" if declared.user else "app:")
            + "|".join(declared.any_of))


def declarations(app: Litestar) -> dict[tuple[str, str], Any]:
    found = {}
    for handler in scopes.handlers_of(app):
        if handler.handler_name == "options_handler":
            continue  # Litestar's own Allow answer, on every path
        methods = sorted(getattr(handler, "http_methods", None) or ["websocket"])
        for path in handler.paths:
            for method in methods:
                found[(method, path)] = _shown(scopes.declared(handler))
    return found


def the_app() -> Litestar:
    return create_app(from_env({})).app


def test_every_route_declares_the_scope_mastodon_documents() -> None:
    found = declarations(the_app())
    wrong = {route: (found.get(route, "missing"), TABLE.get(route, "not in the table"))
             for route in {*found, *TABLE} if found.get(route, "?") != TABLE.get(route, "!")}
    assert not wrong, f"(declared, expected): {wrong}"


def test_an_undeclared_route_stops_the_app_and_is_refused() -> None:
    @get("/undeclared", sync_to_thread=False)
    def undeclared() -> str:
        return "reached"

    def answer(_: Request, exc: errors.HubbubError) -> Response:
        return Response(exc.message, status_code=exc.http_status)

    app = Litestar([undeclared], guards=[scopes.guard],
                   exception_handlers={errors.HubbubError: answer})
    with pytest.raises(RuntimeError, match="undeclared"):
        scopes.require_declared(app)
    with TestClient(app) as client:
        assert client.get("/undeclared").status_code == 403  # fails closed


# --- tokens of each scope against the running gateway -----------------------------------------

async def token_with(api: Api, user: User, scope: str) -> dict[str, str]:
    """A token of ``user`` holding exactly ``scope``, by the password grant (the tests' app is
    allowed it in every network this file makes)."""
    app = await api.app()
    r = await api.client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": user.email,
        "password": user.password, "scope": scope})
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == scope
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def network(api: Api) -> tuple[User, User]:
    """A fresh network (its admin, a member) whose admin allowed the tests' app the password
    grant."""
    domain = other_domain()
    admin, member = await api.user(domain=domain), await api.user(domain=domain)
    await api.allow_password_grant(admin)
    return admin, member


SCOPES = ["read", "write", "follow", "push", "profile", "read:statuses", "read:accounts",
          "write:follows", "write:statuses", "admin:read", "admin:write"]


def _fill(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + ":str}", value).replace("{" + name + ":path}", value)
    return path


async def test_every_route_refuses_a_token_outside_its_scope(api: Api) -> None:
    """Every declared route, with a token of each scope: 403 exactly where the declaration
    says, and never a 403 of the scope check where it allows. The ids name nothing, so an
    allowed call ends in 404 or 422 without changing anything."""
    admin, _ = await network(api)
    held = {s: await token_with(api, admin, s) for s in SCOPES}
    ids = {"account_id": "1", "status_id": "1", "poll_id": "1", "notification_id": "1",
           "group_key": "ungrouped-1", "request_id": "1",
           "list_id": "1", "community_id": "1", "token_id": "1", "name": unique("t"),
           "hashtag": "x", "conversation_id": "1", "report_id": "1",
           "block_id": "1"}
    wrong = []
    for handler in scopes.handlers_of(the_app()):
        declared = scopes.declared(handler)
        if not isinstance(declared, Need | PerParam):
            continue
        actions = (declared.needs.items() if isinstance(declared, PerParam)
                   else [("", declared)])
        for method in sorted(getattr(handler, "http_methods", ())):
            for path in handler.paths:
                for action, need in actions:
                    url = _fill(path, {**ids, "action": action, "answer": "authorize"})
                    for scope, headers in held.items():
                        r = await api.client.request(method, url, headers=headers)
                        refused = r.status_code == 403 and r.json() == OUTSIDE
                        if refused == need.permits({scope}):
                            wrong.append((method, url, scope, r.status_code))
    assert not wrong, wrong


async def test_a_write_token_cannot_read_a_direct_message_to_its_owner(api: Api) -> None:
    _, owner = await network(api)
    author = await api.user(domain=owner.email.split("@")[1])
    dm = await api.post(author, f"@{owner.username} a secret", visibility="direct")
    url = f"/api/v1/statuses/{dm['id']}"
    write_only = await token_with(api, owner, "write")
    r = await api.client.get(url, headers=write_only)
    assert (r.status_code, r.json()) == (403, OUTSIDE)
    for other in ("push", "profile", "follow", "write:statuses"):
        assert (await api.client.get(url, headers=await token_with(api, owner, other))
                ).status_code == 403, other
    for reader in ("read", "read:statuses"):
        r = await api.client.get(url, headers=await token_with(api, owner, reader))
        assert r.status_code == 200 and r.json()["content"], reader
    # The express lane serves home itself: it must refuse the same tokens.
    assert (await api.client.get("/api/v1/timelines/home", headers=write_only)
            ).status_code == 403
    assert (await api.client.get("/api/v1/timelines/home",
                                 headers=await token_with(api, owner, "read:statuses"))
            ).status_code == 200


async def test_follow_scopes_follow_people_and_tags(api: Api) -> None:
    admin, member = await network(api)
    for scope in ("follow", "write:follows", "write"):
        headers = await token_with(api, member, scope)
        r = await api.client.post(f"/api/v1/accounts/{admin.id}/follow", headers=headers)
        assert r.status_code == 200 and r.json()["following"], (scope, r.text)
        r = await api.client.post(f"/api/v1/tags/{unique('t')}/follow", headers=headers)
        assert r.status_code == 200 and r.json()["following"], (scope, r.text)
        await api.client.post(f"/api/v1/accounts/{admin.id}/unfollow", headers=headers)
    # follow grants blocks and mutes too, write:follows does not.
    follow, follows = (await token_with(api, member, "follow"),
                       await token_with(api, member, "write:follows"))
    assert (await api.client.post(f"/api/v1/accounts/{admin.id}/mute", headers=follow)
            ).status_code == 200
    assert (await api.client.post(f"/api/v1/accounts/{admin.id}/unmute", headers=follows)
            ).status_code == 403
    assert (await api.client.get("/api/v1/blocks", headers=follow)).status_code == 200
    for refused in ("read:statuses", "profile", "push"):
        r = await api.client.post(f"/api/v1/accounts/{admin.id}/follow",
                                  headers=await token_with(api, member, refused))
        assert (r.status_code, r.json()) == (403, OUTSIDE), refused


async def test_network_admin_routes_need_admin_scopes_and_the_role(api: Api) -> None:
    admin, member = await network(api)
    change = {"invitation_only": True}
    for scope in ("write", "read write follow push", "admin:read"):
        r = await api.client.patch("/api/hubbub/v1/network", json=change,
                                   headers=await token_with(api, admin, scope))
        assert (r.status_code, r.json()) == (403, OUTSIDE), scope
        r = await api.client.post("/api/hubbub/v1/network/invitations",
                                  json={"email": f"{unique()}@x.test"},
                                  headers=await token_with(api, admin, scope))
        assert (r.status_code, r.json()) == (403, OUTSIDE), scope
    r = await api.client.patch("/api/hubbub/v1/network", json=change,
                               headers=await token_with(api, admin, "admin:write"))
    assert r.status_code == 200 and r.json()["invitation_only"] is True
    # A member's token may hold admin scopes; the role is still checked.
    r = await api.client.patch("/api/hubbub/v1/network", json=change,
                               headers=await token_with(api, member, "admin:write"))
    assert r.status_code == 403 and r.json() != OUTSIDE


async def test_profile_reads_only_the_signed_in_account(api: Api) -> None:
    admin, member = await network(api)
    profile = await token_with(api, member, "profile")
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=profile)
    assert r.status_code == 200 and r.json()["id"] == member.id
    for url in (f"/api/v1/accounts/{admin.id}", "/api/v1/notifications",
                "/api/hubbub/v1/network"):
        assert (await api.client.get(url, headers=profile)).status_code == 403, url


# --- streams --------------------------------------------------------------------------------

async def test_streams_need_read_scopes(api: Api) -> None:
    _, member = await network(api)
    write_only = await token_with(api, member, "write")
    token = write_only["Authorization"].removeprefix("Bearer ")
    async with connect(ws_url(api, f"?access_token={token}"), proxy=None) as ws:
        for stream in ("user", "public", "user:notification"):
            await ws.send(json.dumps({"type": "subscribe", "stream": stream}))
            got = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert got == {**OUTSIDE, "status": 403}, stream
    async with connect(ws_url(api, f"?access_token={token}&stream=user"), proxy=None) as ws:
        got = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert got == {**OUTSIDE, "status": 403}
    for path in ("user", "public", "user/notification"):
        r = await api.client.get(f"/api/v1/streaming/{path}", headers=write_only)
        assert (r.status_code, r.json()) == (403, OUTSIDE), path
    notifications = await token_with(api, member, "read:notifications")
    r = await api.client.get("/api/v1/streaming/user", headers=notifications)
    assert r.status_code == 403
    for scope, path in (("read:notifications", "user/notification"),
                        ("read:statuses", "user"), ("read", "user/notification")):
        headers = await token_with(api, member, scope)
        async with api.client.stream("GET", f"/api/v1/streaming/{path}",
                                     headers=headers) as opened:
            assert opened.status_code == 200, (scope, path)


# --- apps and authorization ask for granular and admin scopes --------------------------------

async def test_apps_and_authorization_take_granular_and_admin_scopes(api: Api) -> None:
    r = await api.client.post("/api/v1/apps", data={
        "client_name": "granular", "redirect_uris": REDIRECT,
        "scopes": "read:statuses write:follows admin:read:accounts"})
    assert r.status_code == 200, r.text
    app = r.json()
    assert app["scopes"] == ["read:statuses", "write:follows", "admin:read:accounts"]
    for bad in ("read:nonsense", "admin", "write:everything"):
        r = await api.client.post("/api/v1/apps", data={
            "client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": bad})
        assert r.status_code == 422, bad
    user = await api.user()
    verifier, challenge = pkce()
    params = query(app, challenge, scope="read:statuses write:follows")
    code = code_of(await sign_in(api, params, user), params)
    token = await exchange(api, app, code, verifier, redirect_uri=params["redirect_uri"])
    assert token.status_code == 200 and token.json()["scope"] == "read:statuses write:follows"
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await api.client.get("/api/v1/timelines/home", headers=headers)).status_code == 200
    assert (await api.client.get("/api/v1/notifications", headers=headers)).status_code == 403
    # Wider than the app's: refused at the authorization page.
    page = await api.client.get("/oauth/authorize",
                                params=query(app, challenge, scope="read"))
    assert page.status_code == 400 and "invalid_scope" in page.text


async def test_anonymous_reads_stay_open_and_app_tokens_stay_apps(api: Api) -> None:
    admin, _ = await network(api)
    status = await api.post(admin, "hello, everyone")
    r = await api.client.get(f"/api/v1/statuses/{status['id']}")
    assert r.status_code in (200, 404)  # the visibility policy decides, not the scope check
    app_headers = {"Authorization": f"Bearer {await api.app_token()}"}
    r = await api.client.get("/api/v1/apps/verify_credentials", headers=app_headers)
    assert r.status_code == 200
    r = await api.client.get("/api/v1/notifications", headers=app_headers)
    assert r.status_code == 422  # an app token holds read, but is nobody's
    bad = {"Authorization": "Bearer nonsense"}
    assert (await api.client.get(f"/api/v1/statuses/{status['id']}", headers=bad)
            ).status_code == 401
