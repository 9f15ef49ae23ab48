"""What account-extras routes share: the other account, as the reader may see it."""

from __future__ import annotations

from services.gateway.context import Gateway
from shared import errors
from shared.ids import parse_id


async def visible_account_id(gw: Gateway, reader_id: int, raw: str) -> int:
    """The account's id if the reader may see it (same network, or a community they share),
    else 404 exactly as for an unknown id: another network's account does not exist here."""
    account_id = parse_id(raw)
    if account_id is None or account_id not in await gw.visible_accounts(reader_id,
                                                                           [account_id]):
        raise errors.NotFound("Record not found")
    return account_id
