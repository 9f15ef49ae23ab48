"""The mail graph asks notify's mailer to send (events.MailRequested through the outbox, in the
transaction of what the mail tells), and the single-use links in them."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import quote

import asyncpg

from services.graph.store import membership as membership_store
from shared import events, outbox
from shared.settings import Settings

CONFIRMATION_VALID_S = 24 * 3600  # Mastodon's links work for two days; a day is plenty


def link_digest(token: str) -> str:
    """Link tokens are stored as SHA-256 digests: a database dump confirms nobody."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(settings: Settings, invite_code: str) -> str:
    return f"{settings.base_url.rstrip('/')}/invite/{quote(invite_code, safe='')}"


def sign_in_link(settings: Settings) -> str:
    return f"{settings.base_url.rstrip('/')}/"


async def send_confirmation(conn: asyncpg.Connection, settings: Settings, *, account_id: int,
                            email: str, network_name: str) -> None:
    """A fresh confirmation link for the account's address (earlier ones stop working)."""
    token = secrets.token_urlsafe(32)
    await membership_store.insert_confirmation(
        conn, token_hash=link_digest(token), account_id=account_id, email=email,
        valid_s=CONFIRMATION_VALID_S)
    link = f"{settings.base_url.rstrip('/')}/auth/confirmation?confirmation_token={token}"
    await outbox.add(conn, "graph", events.MailRequested(
        to=email, template="confirm_email", params={"link": link, "network": network_name}))


async def tell_already_registered(conn: asyncpg.Connection, settings: Settings, *, email: str
                                  ) -> None:
    """Someone signed up with an address that has an account: its owner hears it (the
    sign-up itself answered as any other, so that it tells nobody who has an account)."""
    await outbox.add(conn, "graph", events.MailRequested(
        to=email, template="already_registered", params={"link": sign_in_link(settings)}))


async def send_invitation(conn: asyncpg.Connection, settings: Settings, *, email: str,
                          invite_code: str, network_name: str, role: str) -> None:
    await outbox.add(conn, "graph", events.MailRequested(
        to=email, template="invitation",
        params={"link": invitation_link(settings, invite_code), "network": network_name,
                "role": role}))


async def tell_decision(conn: asyncpg.Connection, settings: Settings, *, email: str,
                        network_name: str, approved: bool) -> None:
    params = {"network": network_name}
    if approved:
        params["link"] = sign_in_link(settings)
    await outbox.add(conn, "graph", events.MailRequested(
        to=email, template="approved" if approved else "rejected", params=params))
