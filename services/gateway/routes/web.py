"""(routes for: web)"""

from __future__ import annotations

ROUTES: list = []
