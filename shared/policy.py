"""The one visibility policy: who may see a post. Pure and synchronous: callers gather the facts
(follows, memberships, blocks) and every read path - single post, thread, timeline, streaming,
feeds - asks this module, so that a rule changes in one place.
"""

from __future__ import annotations

from typing import Final, Literal, TypeGuard

import msgspec

# Who a post is for, as Mastodon names it. The records, events and contracts that carry a
# visibility use this type, so msgspec rejects any other value when it decodes them.
Visibility = Literal["public", "unlisted", "private", "direct"]
PUBLIC: Final = "public"
UNLISTED: Final = "unlisted"
PRIVATE: Final = "private"
DIRECT: Final = "direct"
VISIBILITIES: tuple[Visibility, ...] = (PUBLIC, UNLISTED, PRIVATE, DIRECT)


def is_visibility(value: object) -> TypeGuard[Visibility]:
    """For client input, checked at the edge before it becomes a record or a request."""
    return value in VISIBILITIES


class Viewer(msgspec.Struct, frozen=True, kw_only=True):
    """Who is looking. ``account_id`` None is an anonymous reader."""

    account_id: int | None = None
    network_id: int | None = None
    following: frozenset[int] = frozenset()  # account ids this viewer follows
    communities: frozenset[int] = frozenset()  # community ids this viewer belongs to
    blocked: frozenset[int] = frozenset()  # accounts that block the viewer or that it blocks


class PostFacts(msgspec.Struct, frozen=True, kw_only=True):
    author_id: int
    network_id: int
    visibility: Visibility
    mentions: tuple[int, ...] = ()
    community_id: int | None = None
    # The post's scope opted in to public feeds (shared/contracts/feeds.py): outside
    # communities its author, in a community that (external) community.
    world_readable: bool = False


ANONYMOUS = Viewer()


def can_see(post: PostFacts, viewer: Viewer) -> bool:
    if viewer.account_id is not None and viewer.account_id == post.author_id:
        return True
    if post.author_id in viewer.blocked:
        return False
    mentioned = viewer.account_id is not None and viewer.account_id in post.mentions
    if post.visibility == DIRECT:
        return mentioned
    if post.community_id is not None:
        # A community post stays in the community, whatever its visibility says.
        if post.community_id not in viewer.communities:
            # Outside it, only the public posts of an external community that opted in to a
            # public feed: what the world may read anyway.
            return post.visibility == PUBLIC and post.world_readable
        return post.visibility != PRIVATE or mentioned or post.author_id in viewer.following
    if post.visibility == PRIVATE:
        return mentioned or post.author_id in viewer.following
    # public and unlisted: the author's network; the world only where the author opted in.
    if viewer.network_id is not None and viewer.network_id == post.network_id:
        return True
    if mentioned:
        return True
    return post.visibility == PUBLIC and post.world_readable


def in_public_timeline(post: PostFacts) -> bool:
    """Unlisted, private and direct posts never appear in public/network streams and timelines."""
    return post.visibility == PUBLIC and post.community_id is None
