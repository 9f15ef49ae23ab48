"""Admin reports shaped for moderators: graph's reports and the accounts they name, with the
reported statuses rendered by the hydrator (as the moderator may see them)."""

from __future__ import annotations

from typing import Any

from services.gateway.context import Gateway
from services.gateway.presenters.moderation import admin_account, admin_report
from shared.contracts.moderation import AdminReports


async def shaped_reports(gw: Gateway, reply: AdminReports, viewer_id: int
                         ) -> list[dict[str, Any]]:
    accounts = {a.account.id: admin_account(a, gw.base_url) for a in reply.accounts}
    wanted = list(dict.fromkeys(i for r in reply.reports for i in r.status_ids))
    rendered = {int(s["id"]): s for s in await gw.hydrator.render_status_ids(wanted, viewer_id)
                } if wanted else {}
    return [admin_report(r, accounts, [rendered[i] for i in r.status_ids if i in rendered])
            for r in reply.reports]
