"""(routes for: authorize)"""

from __future__ import annotations

ROUTES: list = []
