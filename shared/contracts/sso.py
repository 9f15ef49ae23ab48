"""Single sign-on with OpenID Connect (issue #14): the request/reply Structs of graph's ``sso.*``
verbs (declared in ``shared/contracts/graph.py``). A network has at most one identity provider;
an account is found by the provider's (issuer, subject), never by e-mail."""

from __future__ import annotations

import msgspec


class SsoSettingsRequest(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # who asks: an admin of their own network


class ConfigureSso(msgspec.Struct, frozen=True, kw_only=True):
    """The provider, already checked by the gateway (its discovery document was fetched and is
    valid). ``client_secret`` None keeps the stored one (the admin never sees it again)."""

    account_id: int
    issuer: str
    client_id: str
    client_secret: str | None = None
    email_claim: str = "email"
    display_name: str
    required: bool = False


class SsoSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What an admin sees: everything but the client secret, which is write-only."""

    network_id: int
    issuer: str
    client_id: str
    email_claim: str
    display_name: str
    required: bool
    updated_at: int  # ms since the Unix epoch


class FindProvider(msgspec.Struct, frozen=True, kw_only=True):
    """The provider of the network that claimed ``domain`` (the sign-in page), or of
    ``network_id`` (the callback)."""

    domain: str | None = None
    network_id: int | None = None


class Provider(msgspec.Struct, frozen=True, kw_only=True):
    """For the gateway's sign-in only, with the secret the token exchange needs: never
    rendered, never logged (``__repr__`` leaves it out)."""

    network_id: int
    issuer: str
    client_id: str
    client_secret: str
    email_claim: str
    display_name: str
    required: bool

    def __repr__(self) -> str:
        return (f"Provider(network_id={self.network_id}, issuer={self.issuer!r}, "
                f"client_id={self.client_id!r}, client_secret=<hidden>)")


class SsoSignIn(msgspec.Struct, frozen=True, kw_only=True):
    """A person the network's provider vouched for: the gateway verified the ID token
    (signature, iss, aud, exp, nonce) before asking."""

    network_id: int
    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool | None = None  # absent: the provider's own directory, trusted
    username: str | None = None  # preferred_username
    display_name: str | None = None  # name
