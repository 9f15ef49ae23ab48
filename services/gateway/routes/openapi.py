"""The API's OpenAPI document, public as Mastodon's own API documentation is: what the routes
are and what they take, never anything about a caller. Built from the route table on first
read (api_description.py says how)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from services.gateway import api_description, responses
from services.gateway.scopes import PUBLIC


@get("/api/openapi.json", opt=PUBLIC)
async def openapi_document(request: Request[Any, Any, Any]) -> Response[bytes]:
    return responses.raw_json(api_description.document(request.app))


ROUTES = [openapi_document]
