"""shared.policy: the visibility matrix, table-driven.

Every row below was checked against the code of ``can_see``: the author always sees; a block (either
direction, listed in ``Viewer.blocked``) always hides; direct posts reach only mentioned accounts;
private posts reach followers and mentioned accounts; public and unlisted posts reach the author's
network and mentioned accounts, and public posts reach everyone when the author opted in to
``world_readable``. A community post stays inside its community, except the public posts of
an external community that opted in to a public feed (``world_readable`` there).
"""

from __future__ import annotations

import pytest

from shared.policy import (
    ANONYMOUS,
    DIRECT,
    PRIVATE,
    PUBLIC,
    UNLISTED,
    VISIBILITIES,
    PostFacts,
    Viewer,
    can_see,
    in_public_timeline,
)

NETWORK = 10
OTHER_NETWORK = 20
COMMUNITY = 99
OTHER_COMMUNITY = 98

AUTHOR = 1
FOLLOWER = 2
MENTIONED = 3
STRANGER = 4
OUTSIDER = 5
MENTIONED_OUTSIDER = 6
BLOCKED = 7
NON_MEMBER_FOLLOWER = 8
NON_MEMBER_MENTIONED = 9


def post(visibility: str, *, world_readable: bool = False, community_id: int | None = None,
         ) -> PostFacts:
    return PostFacts(
        author_id=AUTHOR,
        network_id=NETWORK,
        visibility=visibility,
        # BLOCKED is mentioned too, so that the block is shown to beat the mention.
        mentions=(MENTIONED, MENTIONED_OUTSIDER, BLOCKED, NON_MEMBER_MENTIONED),
        community_id=community_id,
        world_readable=world_readable,
    )


# --- posts outside communities --------------------------------------------------------------

VIEWERS = {
    "author": Viewer(account_id=AUTHOR, network_id=NETWORK),
    "follower": Viewer(account_id=FOLLOWER, network_id=NETWORK, following=frozenset({AUTHOR})),
    "mentioned": Viewer(account_id=MENTIONED, network_id=NETWORK),
    "mentioned_other_network": Viewer(account_id=MENTIONED_OUTSIDER, network_id=OTHER_NETWORK),
    "stranger_same_network": Viewer(account_id=STRANGER, network_id=NETWORK),
    "other_network": Viewer(account_id=OUTSIDER, network_id=OTHER_NETWORK),
    "anonymous": ANONYMOUS,
    # Blocked lists accounts that block the viewer or that the viewer blocks: the same field for
    # both directions. This viewer also follows the author and is mentioned: the block wins.
    "blocked": Viewer(account_id=BLOCKED, network_id=NETWORK, following=frozenset({AUTHOR}),
                      blocked=frozenset({AUTHOR})),
}

#                         author follower mention m_other strang other  anon  blocked
_ROWS = {
    (PUBLIC, False):   (True,  True,    True,   True,   True,  False, False, False),
    (PUBLIC, True):    (True,  True,    True,   True,   True,  True,  True,  False),
    (UNLISTED, False): (True,  True,    True,   True,   True,  False, False, False),
    (UNLISTED, True):  (True,  True,    True,   True,   True,  False, False, False),
    (PRIVATE, False):  (True,  True,    True,   True,   False, False, False, False),
    (PRIVATE, True):   (True,  True,    True,   True,   False, False, False, False),
    (DIRECT, False):   (True,  False,   True,   True,   False, False, False, False),
    (DIRECT, True):    (True,  False,   True,   True,   False, False, False, False),
}

MATRIX = [
    pytest.param(visibility, world_readable, viewer_name, expected,
                 id=f"{visibility}-{'world' if world_readable else 'network'}-{viewer_name}")
    for (visibility, world_readable), row in _ROWS.items()
    for viewer_name, expected in zip(VIEWERS, row, strict=True)
]


def test_matrix_covers_every_visibility() -> None:
    assert {visibility for visibility, _ in _ROWS} == set(VISIBILITIES)


@pytest.mark.parametrize(("visibility", "world_readable", "viewer_name", "expected"), MATRIX)
def test_visibility_matrix(visibility: str, world_readable: bool, viewer_name: str,
                           expected: bool) -> None:
    facts = post(visibility, world_readable=world_readable)
    assert can_see(facts, VIEWERS[viewer_name]) is expected


# --- community posts ------------------------------------------------------------------------

MEMBERS = frozenset({COMMUNITY})

COMMUNITY_VIEWERS = {
    # The author need not be listed as a member: the author always sees.
    "author": Viewer(account_id=AUTHOR, network_id=NETWORK),
    "member_follower": Viewer(account_id=FOLLOWER, network_id=NETWORK,
                              following=frozenset({AUTHOR}), communities=MEMBERS),
    "member_mentioned": Viewer(account_id=MENTIONED, network_id=NETWORK, communities=MEMBERS),
    "member_stranger": Viewer(account_id=STRANGER, network_id=NETWORK, communities=MEMBERS),
    "member_other_network": Viewer(account_id=OUTSIDER, network_id=OTHER_NETWORK,
                                   communities=MEMBERS),
    "member_of_other_community": Viewer(account_id=STRANGER, network_id=NETWORK,
                                        communities=frozenset({OTHER_COMMUNITY})),
    "non_member_follower": Viewer(account_id=NON_MEMBER_FOLLOWER, network_id=NETWORK,
                                  following=frozenset({AUTHOR})),
    "non_member_mentioned": Viewer(account_id=NON_MEMBER_MENTIONED, network_id=NETWORK),
    "non_member_same_network": Viewer(account_id=STRANGER, network_id=NETWORK),
    "anonymous": ANONYMOUS,
    "blocked_member": Viewer(account_id=BLOCKED, network_id=NETWORK, following=frozenset({AUTHOR}),
                             communities=MEMBERS, blocked=frozenset({AUTHOR})),
}

#                    author m_fol  m_ment m_str  m_othn m_oc   n_fol  n_ment n_same anon   blocked
_COMMUNITY_ROWS = {
    (PUBLIC, False):  (True,  True,  True,  True,  True,  False, False, False, False, False, False),
    # world_readable: an external community opted in to a public feed; its public posts reach
    # everyone (blocks still hide them), and nothing else of it leaves the community.
    (PUBLIC, True):   (True,  True,  True,  True,  True,  True,  True,  True,  True,  True,  False),
    (UNLISTED, False):(True,  True,  True,  True,  True,  False, False, False, False, False, False),
    (UNLISTED, True): (True,  True,  True,  True,  True,  False, False, False, False, False, False),
    (PRIVATE, False): (True,  True,  True,  False, False, False, False, False, False, False, False),
    (PRIVATE, True):  (True,  True,  True,  False, False, False, False, False, False, False, False),
    # Direct is decided before community membership: a direct post reaches exactly the accounts
    # it mentions, members or not (the author addressed them by name).
    (DIRECT, False):  (True,  False, True,  False, False, False, False, True,  False, False, False),
    (DIRECT, True):   (True,  False, True,  False, False, False, False, True,  False, False, False),
}

COMMUNITY_MATRIX = [
    pytest.param(visibility, world_readable, viewer_name, expected,
                 id=f"community-{visibility}-{'world' if world_readable else 'network'}-"
                    f"{viewer_name}")
    for (visibility, world_readable), row in _COMMUNITY_ROWS.items()
    for viewer_name, expected in zip(COMMUNITY_VIEWERS, row, strict=True)
]


@pytest.mark.parametrize(("visibility", "world_readable", "viewer_name", "expected"),
                         COMMUNITY_MATRIX)
def test_community_visibility_matrix(visibility: str, world_readable: bool, viewer_name: str,
                                     expected: bool) -> None:
    facts = post(visibility, world_readable=world_readable, community_id=COMMUNITY)
    assert can_see(facts, COMMUNITY_VIEWERS[viewer_name]) is expected


# --- single rules, stated directly ----------------------------------------------------------


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_author_sees_own_post_even_when_listed_as_blocked(visibility: str) -> None:
    author = Viewer(account_id=AUTHOR, network_id=OTHER_NETWORK, blocked=frozenset({AUTHOR}))
    assert can_see(post(visibility, community_id=COMMUNITY), author)
    assert can_see(post(visibility), author)


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("world_readable", [False, True])
def test_block_hides_every_post(visibility: str, world_readable: bool) -> None:
    viewer = Viewer(account_id=BLOCKED, network_id=NETWORK, following=frozenset({AUTHOR}),
                    communities=MEMBERS, blocked=frozenset({AUTHOR}))
    assert not can_see(post(visibility, world_readable=world_readable), viewer)
    assert not can_see(post(visibility, community_id=COMMUNITY), viewer)


def test_blocks_of_other_accounts_do_not_hide_the_post() -> None:
    viewer = Viewer(account_id=FOLLOWER, network_id=NETWORK, following=frozenset({AUTHOR}),
                    blocked=frozenset({STRANGER, OUTSIDER}))
    for visibility in (PUBLIC, UNLISTED, PRIVATE):
        assert can_see(post(visibility), viewer)


def test_following_someone_else_does_not_open_private_posts() -> None:
    viewer = Viewer(account_id=STRANGER, network_id=NETWORK, following=frozenset({FOLLOWER}))
    assert not can_see(post(PRIVATE), viewer)


def test_anonymous_with_a_network_id_is_not_mentioned() -> None:
    # An account id of None never matches a mention or the author.
    facts = PostFacts(author_id=AUTHOR, network_id=NETWORK, visibility=DIRECT, mentions=(AUTHOR,))
    assert not can_see(facts, Viewer(network_id=NETWORK))


def test_followers_in_another_network_see_private_but_not_network_only_public_posts() -> None:
    # As implemented: "private" means followers, wherever they are, while public and unlisted
    # posts stay in the author's network unless world_readable. (See the report: a follower in
    # another network sees more of the author's private posts than of the public ones.)
    viewer = Viewer(account_id=OUTSIDER, network_id=OTHER_NETWORK, following=frozenset({AUTHOR}))
    assert can_see(post(PRIVATE), viewer)
    assert not can_see(post(PUBLIC), viewer)
    assert not can_see(post(UNLISTED), viewer)
    assert can_see(post(PUBLIC, world_readable=True), viewer)


# --- public timelines -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "community_id", "expected"),
    [
        (PUBLIC, None, True),
        (UNLISTED, None, False),
        (PRIVATE, None, False),
        (DIRECT, None, False),
        (PUBLIC, COMMUNITY, False),
        (UNLISTED, COMMUNITY, False),
        (PRIVATE, COMMUNITY, False),
        (DIRECT, COMMUNITY, False),
    ],
)
@pytest.mark.parametrize("world_readable", [False, True])
def test_in_public_timeline(visibility: str, community_id: int | None, expected: bool,
                            world_readable: bool) -> None:
    facts = post(visibility, world_readable=world_readable, community_id=community_id)
    assert in_public_timeline(facts) is expected
