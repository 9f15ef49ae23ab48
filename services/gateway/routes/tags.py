"""(routes for: tags)"""

from __future__ import annotations

ROUTES: list = []
