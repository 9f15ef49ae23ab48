"""Mastodon.py's Web Push methods, unmodified, against the test stack's gateway: keys made by
``push_subscription_generate_keys`` (sent as standard base64, the policy at the top level),
``push_subscription_set``/``_update``/``_delete``, and a mention that reaches the push
service on 127.0.0.1 readable with the private key Mastodon.py made. (Its own
``push_subscription_decrypt_push`` reads the legacy ``aesgcm`` coding only; Hubbub sends
``aes128gcm``, decrypted here with http_ece as a browser would.)"""

from __future__ import annotations

import asyncio

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from mastodon import Mastodon, MastodonNotFoundError

from tests.helpers import Api
from tests.helpers.push_receiver import Browser, running

run = asyncio.to_thread


async def test_mastodon_py_subscribes_and_its_keys_read_the_push(api: Api) -> None:
    reader, author = await api.user(), await api.user()
    m = await run(Mastodon, access_token=reader.token, api_base_url=str(api.client.base_url),
                  version_check_mode="created")
    private, public = await run(m.push_subscription_generate_keys)
    browser = Browser(ec.derive_private_key(private["privkey"], ec.SECP256R1()),
                      private["auth"])
    instance = (await api.client.get("/api/v2/instance")).json()
    async with running(instance["configuration"]["vapid"]["public_key"]) as receiver:
        endpoint, _ = receiver.endpoint("mpy", browser=browser)
        made = await run(m.push_subscription_set, endpoint, public, mention_events=True,
                         follow_events=False, policy="follower")
        assert made.endpoint == endpoint and made.policy == "follower"
        assert made.alerts.mention is True and made.alerts.follow is False
        assert made.server_key == instance["configuration"]["vapid"]["public_key"]
        changed = await run(m.push_subscription_update, follow_events=True, policy="all")
        assert changed.alerts.follow is True and changed.alerts.mention is True
        assert (await run(m.push_subscription)).id == made.id
        await api.post(author, f"@{reader.username} from Mastodon.py's side")
        await api.idle()
        [got] = await receiver.wait_for("mpy")
        assert receiver.problems == []
        assert got.payload["notification_type"] == "mention"
        assert "from Mastodon.py's side" in got.payload["body"]
        await run(m.push_subscription_delete)
        with pytest.raises(MastodonNotFoundError):
            await run(m.push_subscription)
