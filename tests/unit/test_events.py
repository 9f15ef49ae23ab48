"""shared.events: the tagged union of domain events and its JSON encoding."""

from __future__ import annotations

import time
import typing

import msgspec
import pytest

from shared import events
from shared.events import (
    AccountCreated,
    Event,
    FollowCreated,
    FollowRemoved,
    StatusCreated,
    StatusDeleted,
    decode,
    encode,
)

BIG = 2**62 + 12_345  # above 2**53: must survive JSON exactly

SAMPLES: dict[type[Event], list[Event]] = {
    StatusCreated: [
        StatusCreated(status_id=BIG, account_id=2, network_id=3, visibility="public"),
        StatusCreated(id=BIG + 1, occurred_at=1_760_000_000_000, v=2, status_id=BIG,
                      account_id=2, network_id=3, visibility="direct", in_reply_to_id=BIG - 1,
                      in_reply_to_account_id=4, reblog_of_id=BIG - 2, community_id=5,
                      mentions=(6, 7, BIG), tags=("caf\u00e9", "\u65e5\u672c\u8a9e"),
                      conversation_id=BIG - 3),
    ],
    StatusDeleted: [StatusDeleted(status_id=BIG, account_id=2)],
    AccountCreated: [AccountCreated(account_id=BIG, network_id=3, username="alice"),
                     AccountCreated(account_id=1, network_id=1, username="J\u00fcrgen \"x\"")],
    FollowCreated: [FollowCreated(follower_id=1, followee_id=BIG),
                    FollowCreated(follower_id=1, followee_id=2, reblogs=False, notify=True)],
    FollowRemoved: [FollowRemoved(follower_id=BIG, followee_id=2)],
    events.StatusUpdated: [events.StatusUpdated(status_id=BIG, account_id=2, visibility="public",
                                                mentions=(3,), added_mentions=(3,))],
    events.FavouriteAdded: [events.FavouriteAdded(status_id=BIG, status_account_id=2,
                                                  account_id=3)],
    events.FavouriteRemoved: [events.FavouriteRemoved(status_id=BIG, status_account_id=2,
                                                      account_id=3)],
    events.ReblogCreated: [events.ReblogCreated(reblog_id=BIG, status_id=BIG - 1,
                                                status_account_id=2, account_id=3, network_id=4,
                                                visibility="public")],
    events.ReblogRemoved: [events.ReblogRemoved(reblog_id=BIG, status_id=BIG - 1,
                                                status_account_id=2, account_id=3)],
    events.PollVoted: [events.PollVoted(poll_id=BIG, status_id=1, account_id=2, choices=(0, 2))],
    events.PollEnded: [events.PollEnded(poll_id=BIG, status_id=1, status_account_id=2,
                                        voter_ids=(3, 4))],
    events.MediaUploaded: [events.MediaUploaded(media_id=BIG, account_id=2),
                           events.MediaUploaded(media_id=1, account_id=BIG, purpose="avatar",
                                                revision=3)],
    events.MediaDeleted: [events.MediaDeleted(media_ids=(BIG, 1),
                                              keys=("media/1/abc/original.png",
                                                    "media/1/abc/small.webp"))],
    events.FollowRequested: [events.FollowRequested(follower_id=1, followee_id=BIG)],
    events.FollowRequestRejected: [events.FollowRequestRejected(follower_id=1, followee_id=2)],
    events.BlockCreated: [events.BlockCreated(account_id=1, target_id=BIG)],
    events.BlockRemoved: [events.BlockRemoved(account_id=1, target_id=BIG)],
    events.MuteCreated: [events.MuteCreated(account_id=1, target_id=2, notifications=False)],
    events.MuteRemoved: [events.MuteRemoved(account_id=1, target_id=2)],
    events.AccountUpdated: [events.AccountUpdated(account_id=BIG)],
    events.AccountDeactivated: [events.AccountDeactivated(account_id=BIG, network_id=1)],
    events.AccountReactivated: [events.AccountReactivated(account_id=BIG, network_id=1)],
    events.AccountJoined: [events.AccountJoined(account_id=BIG, network_id=1)],
    events.AccountRoleChanged: [events.AccountRoleChanged(account_id=1, network_id=2,
                                                          role="moderator")],
    events.MailRequested: [events.MailRequested(to="ana@acme.test", template="confirm_email",
                                                params={"link": "https://h.test/a?b=c&d=\u00e9"}),
                           events.MailRequested(to="bo@acme.test", template="rejected")],
    events.TagFollowed: [events.TagFollowed(account_id=1, tag="caf\u00e9")],
    events.PushRequested: [events.PushRequested(subscription_id=1, notification_id=BIG,
                                                account_id=2, notification_type="mention",
                                                from_account_id=3, status_id=BIG),
                           events.PushRequested(subscription_id=1, notification_id=4,
                                                account_id=2, notification_type="follow",
                                                from_account_id=3)],
    events.CommunityJoined: [events.CommunityJoined(community_id=1, account_id=2, role="guest")],
    events.CommunityLeft: [events.CommunityLeft(community_id=1, account_id=2)],
    events.ListMembersChanged: [events.ListMembersChanged(list_id=1, owner_id=2, added=(3,),
                                                          removed=(BIG,))],
    events.ListDeleted: [events.ListDeleted(list_id=1, owner_id=2)],
    events.FiltersChanged: [events.FiltersChanged(account_id=BIG)],
    events.CommunityInvited: [events.CommunityInvited(community_id=1, account_id=2,
                                                      invited_by=3)],
}

ALL_SAMPLES = [
    pytest.param(event, id=f"{type(event).__name__}-{index}")
    for kind in SAMPLES
    for index, event in enumerate(SAMPLES[kind])
]


def test_samples_cover_every_event_in_the_union() -> None:
    assert set(SAMPLES) == set(typing.get_args(events.AnyEvent))


def test_tags_are_unique() -> None:
    tags = [kind.__struct_config__.tag for kind in typing.get_args(events.AnyEvent)]
    assert len(tags) == len(set(tags))
    assert all(isinstance(tag, str) and tag for tag in tags)


@pytest.mark.parametrize("event", ALL_SAMPLES)
def test_round_trip(event: Event) -> None:
    decoded = decode(encode(event))
    assert type(decoded) is type(event)
    assert decoded == event


@pytest.mark.parametrize("event", ALL_SAMPLES)
def test_tag_is_the_json_type_field(event: Event) -> None:
    raw = msgspec.json.decode(encode(event))
    assert raw["type"] == event.type == type(event).__struct_config__.tag
    assert raw["id"] == event.id
    assert raw["v"] == event.v


def test_known_tags() -> None:
    assert StatusCreated(status_id=1, account_id=2, network_id=3,
                         visibility="public").type == "post.status.created"
    assert StatusDeleted(status_id=1, account_id=2).type == "post.status.deleted"
    assert AccountCreated(account_id=1, network_id=2, username="a").type == "graph.account.created"
    assert FollowCreated(follower_id=1, followee_id=2).type == "graph.follow.created"
    assert FollowRemoved(follower_id=1, followee_id=2).type == "graph.follow.removed"


def test_defaults_fill_id_time_and_version() -> None:
    before = int(time.time() * 1000)
    first = FollowRemoved(follower_id=1, followee_id=2)
    second = FollowRemoved(follower_id=1, followee_id=2)
    after = int(time.time() * 1000)
    assert 0 < first.id < second.id < 2**63
    assert before <= first.occurred_at <= after
    assert first.v == 1


@pytest.mark.parametrize("event", ALL_SAMPLES)
def test_unknown_fields_are_ignored_on_decode(event: Event) -> None:
    raw = msgspec.json.decode(encode(event))
    raw["added_in_v9"] = {"nested": [1, 2, 3]}
    raw["another"] = "value"
    decoded = decode(msgspec.json.encode(raw))
    assert decoded == event


def test_decoding_an_unknown_type_fails() -> None:
    data = msgspec.json.encode({"type": "post.status.exploded", "id": 1, "status_id": 2,
                                "account_id": 3})
    with pytest.raises(msgspec.ValidationError):
        decode(data)


def test_decoding_without_a_type_fails() -> None:
    with pytest.raises(msgspec.ValidationError):
        decode(msgspec.json.encode({"status_id": 2, "account_id": 3}))


def test_decoding_without_a_required_field_fails() -> None:
    with pytest.raises(msgspec.ValidationError):
        decode(msgspec.json.encode({"type": "post.status.deleted", "status_id": 2}))


def test_decoding_a_wrongly_typed_field_fails() -> None:
    with pytest.raises(msgspec.ValidationError):
        decode(msgspec.json.encode({"type": "graph.follow.removed", "follower_id": "one",
                                    "followee_id": 2}))


def test_decoding_not_json_fails() -> None:
    with pytest.raises(msgspec.DecodeError):
        decode(b"not json")


def test_events_are_frozen() -> None:
    event = StatusDeleted(status_id=1, account_id=2)
    with pytest.raises(AttributeError):
        event.status_id = 3  # type: ignore[misc]
