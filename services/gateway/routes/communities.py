"""(routes for: communities)"""

from __future__ import annotations

ROUTES: list = []
