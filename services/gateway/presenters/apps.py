"""OAuth client apps (Mastodon's Application entity)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the record only: the token store's I/O stays out of the presenters
    from services.gateway.tokens import App


def app_json(app: App, client_secret: str | None = None, *, vapid_key: str = ""
             ) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": app.redirect_uris,
        "redirect_uris": app.redirect_uris.split(),
        "vapid_key": vapid_key,  # the server's Web Push key (deprecated there, still read)
        "client_id": app.client_id,
    }
    if client_secret is not None:
        shaped["client_secret"] = client_secret
        shaped["client_secret_expires_at"] = 0
    return shaped
