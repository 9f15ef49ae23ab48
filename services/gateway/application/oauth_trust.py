"""Which apps a network trusts with the OAuth flows that RFC 9700 discourages and Mastodon still
offers: the password grant, and the authorization code without PKCE.

Mastodon.py, toot and other older clients send no ``code_challenge`` (Mastodon never required
one), so a Hubbub that refused every such request left them no way to sign in by code. The
network's admins list the apps they trust (``password_grant_apps``, PATCH
/api/hubbub/v1/network); an app trusted with people's passwords may as well run the code flow
without PKCE, which hands it less. Every other app needs PKCE S256, as before. The list is read
when the code is issued and again when it is redeemed, so taking an app off it stops codes
already on their way."""

from __future__ import annotations

from services.gateway.context import Gateway
from shared import bus, errors
from shared.contracts import graph as graph_api


async def trusts_legacy_flows(gw: Gateway, account_id: int, client_id: str) -> bool:
    """Whether the account's network lists the app. An account with no network to ask yet
    (a sign-up still to confirm its address) is not trusted: its app uses PKCE."""
    try:
        network = await bus.call(gw.nc, graph_api.NETWORK_GET,
                                 graph_api.NetworkRequest(account_id=account_id))
    except (errors.NotFound, errors.Forbidden):
        return False
    return network.allows_password_grant(client_id)
