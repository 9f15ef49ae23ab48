"""(routes for: profiles)"""

from __future__ import annotations

ROUTES: list = []
