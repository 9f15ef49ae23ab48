"""(routes for: relationships)"""

from __future__ import annotations

ROUTES: list = []
