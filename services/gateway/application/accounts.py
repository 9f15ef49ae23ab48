"""An account's own settings, as its owner sees them."""

from __future__ import annotations

from services.gateway.context import Gateway
from shared import bus
from shared.contracts import graph as graph_api


async def credentials_of(gw: Gateway, account_id: int) -> graph_api.CredentialAccount:
    """The account's own settings (``source``: posting defaults), from graph."""
    return await bus.call(gw.nc, graph_api.ACCOUNT_CREDENTIALS,
                          graph_api.GetCredentials(account_id=account_id))
