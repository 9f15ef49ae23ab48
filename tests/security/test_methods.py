"""A method a route does not declare is a 405 naming the ones it does (``Allow``), on every
route path, before anything else looks at the request: not a 404 from a catch-all route, not a
401 for a missing token, not a 400 for a body the route would never read. The fuzzing run found
95 routes that answered otherwise; this walk holds every route to it."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

from services.gateway.app import create_app
from shared.settings import Settings
from tests.helpers import Api, User

# OPTIONS is the CORS preflight Litestar answers on every path; HEAD is the client's GET.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "TRACE")


def _route_paths() -> list[tuple[str, frozenset[str]]]:
    """Each HTTP route's path, a parameter filled with a value of its kind, and its methods."""
    app = create_app(Settings()).app
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        declared = frozenset(route.route_handler_map) - {"OPTIONS", "HEAD"}
        path = re.sub(r"\{[^}:]+:path\}", "a/b", route.path)
        path = re.sub(r"\{[^}]+\}", "1", path)
        found.append((path, declared))
    # Sorted: the app's route table is not in the same order in every process, and parallel
    # test workers must collect the same tests.
    return sorted(found, key=lambda item: (item[0], sorted(item[1])))


ROUTES = _route_paths()
_ASKER: dict[str, User] = {}  # one signed-in user asks on every path


async def test_every_route_path_was_found() -> None:
    assert len(ROUTES) > 90  # the whole table, not an empty walk


@pytest.mark.parametrize(("path", "declared"), ROUTES, ids=[p for p, _ in ROUTES])
async def test_an_undeclared_method_is_a_405_with_allow(api: Api, path: str,
                                                        declared: frozenset[str]) -> None:
    if "user" not in _ASKER:
        _ASKER["user"] = await api.user()
    user = _ASKER["user"]
    wrong = []
    for method in METHODS:
        if method in declared:
            continue
        for headers in ({}, user.headers):  # the answer must not depend on who asks
            r = await api.client.request(method, path, headers=headers,
                                         content=b"{", params={"limit": "x"})
            allowed = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
            if r.status_code != 405 or not declared <= allowed or "error" not in r.json():
                wrong.append((method, bool(headers), r.status_code, r.headers.get("allow")))
    assert not wrong, wrong
