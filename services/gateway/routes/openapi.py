"""The API's OpenAPI document, public as Mastodon's own API documentation is: what the routes
are and what they take, never anything about a caller. Built from the route table on first
read (api_description.py says how)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from services.gateway import api_description, responses

# TODO(scopes): once services/gateway/scopes.py is on main, declare this route public
# (opt=PUBLIC) like the instance routes, or the startup check refuses an undeclared route.


@get("/api/openapi.json")
async def openapi_document(request: Request[Any, Any, Any]) -> Response[bytes]:
    return responses.raw_json(api_description.document(request.app))


ROUTES = [openapi_document]
