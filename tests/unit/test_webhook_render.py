"""The entities a webhook body carries (services/notify/webhooks/render.py) are a subset of the
gateway's Mastodon JSON: every key they share has the same value, so a partner may parse a
webhook's Status and Account with the same code as the API's."""

from __future__ import annotations

from typing import Any

from services.gateway.presenters import mastodon
from services.notify.webhooks import render
from shared.records import AccountRecord, StatusRecord

BASE = "https://hubbub.example"
AUTHOR = AccountRecord(id=11, username="ada", network_id=7, network_domain="acme.test",
                       display_name="Ada L.", note="Counts things.\n\nAnd more.",
                       created_at=1_700_000_000_000,
                       followers_count=3, following_count=4, statuses_count=5,
                       avatar_url="https://cdn.example/a.png", title="Analyst")
FRIEND = AccountRecord(id=12, username="bob", network_id=7, network_domain="acme.test")
STATUS = StatusRecord(id=99, account_id=11, network_id=7, text="hi @bob #plans",
                      content_html="<p>hi @bob #plans</p>", visibility="public",
                      created_at=1_700_000_123_456, spoiler_text="cw", sensitive=True,
                      language="en", in_reply_to_id=98, in_reply_to_account_id=12,
                      community_id=5, mentions=(12,), tags=("plans",),
                      edited_at=1_700_000_200_000, replies_count=1, reblogs_count=2,
                      favourites_count=3)


def shared_keys(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    return sorted(set(ours) & set(theirs))


def test_accounts_agree_with_the_gateways() -> None:
    ours, theirs = render.account(AUTHOR, BASE), mastodon.account(AUTHOR, BASE)
    keys = shared_keys(ours, theirs)
    assert len(keys) >= 15
    assert {k: ours[k] for k in keys} == {k: theirs[k] for k in keys}


def test_statuses_agree_with_the_gateways() -> None:
    ours = render.status(STATUS, AUTHOR, [FRIEND], BASE)
    theirs = mastodon.status(STATUS, AUTHOR, [FRIEND], BASE, media_url=lambda key: key)
    keys = [k for k in shared_keys(ours, theirs) if k != "account"]
    assert len(keys) >= 20
    assert {k: ours[k] for k in keys} == {k: theirs[k] for k in keys}
    assert ours["account"]["id"] == theirs["account"]["id"]
