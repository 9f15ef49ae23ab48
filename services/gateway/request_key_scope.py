"""Every HTTP request opens an idempotency-key scope: the write calls it makes to the services
carry keys (shared/request_keys.py), so that shared/bus.py may send them again on another
replica when one died with the request, without the write being applied twice.

The scope's base is the client's ``Idempotency-Key`` (Mastodon's header, honoured for every
write, not only statuses), bound to the client's credentials, the method and the path, so that
a client's replay of a request whose answer it never got is answered from the first run; or a
fresh one when the client gave none, which still covers the gateway's own retries."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from shared import request_keys

_CREDENTIALS = (b"authorization", b"cookie")


class RequestKeyScope:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        client_key = None
        credentials = ""
        for name, value in scope["headers"]:
            if name == b"idempotency-key":
                client_key = value.decode("latin-1")
            elif name in _CREDENTIALS and not credentials:
                credentials = value.decode("latin-1")
        token = request_keys.begin(request_keys.scope_base(
            client_key, credentials, str(scope.get("method", "")), scope["path"]),
            fresh=not client_key)
        try:
            await self.app(scope, receive, send)
        finally:
            request_keys.end(token)
