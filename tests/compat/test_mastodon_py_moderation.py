"""Reports and Mastodon's admin API through Mastodon.py, unmodified (as test_mastodon_py.py):
a member reports, a moderator handles the report and the account, the admin keeps a sign-up
block and reads the dashboard, each through Mastodon.py's own methods.

Mastodon.py is synchronous (requests): every call runs in a thread so the stack keeps serving."""

from __future__ import annotations

import asyncio
import datetime

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError

from tests.helpers import Api, User, unique
from tests.helpers.moderation import team

run = asyncio.to_thread


async def as_client(api: Api, user: User) -> Mastodon:
    """Mastodon.py with the user's token (granted the tests' app's scopes, admin ones too)."""
    return await run(Mastodon, access_token=user.token, api_base_url=str(api.client.base_url),
                     version_check_mode="created")


async def test_reports_and_moderation_through_mastodon_py(api: Api) -> None:
    owner, [moderator, reporter, target] = await team(api, "moderator", "member", "member")
    admin, mod = await as_client(api, owner), await as_client(api, moderator)
    member = await as_client(api, reporter)

    post = await run((await as_client(api, target)).status_post, "cheap watches, DM me")
    report = await run(member.report, target.id, status_ids=[post.id], comment="spam again",
                       category="spam")
    assert report.category == "spam" and report.target_account.id == target.id
    assert report.status_ids == [post.id] and not report.action_taken

    [listed] = await run(mod.admin_reports)
    assert listed.id == report.id and listed.account.id == reporter.id
    assert [s.id for s in listed.statuses] == [post.id]
    assigned = await run(mod.admin_report_assign, report.id)
    assert assigned.assigned_account.id == moderator.id

    await run(mod.admin_account_moderate, target.id, action="silence", report_id=report.id,
              text="limited for spam")
    assert (await run(mod.admin_account, target.id)).silenced
    assert [a.id for a in await run(mod.admin_accounts_v2, status="silenced")] == [target.id]
    assert await run(mod.admin_reports) == []  # the action resolved it
    assert (await run(mod.admin_report_reopen, report.id)).action_taken is False
    assert (await run(mod.admin_report_resolve, report.id)).action_taken is True
    assert not (await run(mod.admin_account_unsilence, target.id)).silenced

    # Members are not moderators.
    with pytest.raises(MastodonAPIError):
        await run(member.admin_reports)

    # The owner's sign-up blocks and the dashboard.
    domain = owner.email.split("@")[1]
    block = await run(admin.admin_create_canonical_email_block, email=f"a.b+x@{domain}")
    tested = await run(admin.admin_test_canonical_email_block, f"AB@{domain}")
    assert [b.id for b in tested] == [block.id]
    await run(admin.admin_delete_canonical_email_block, block.id)
    ip = await run(admin.admin_create_ip_block, "192.0.2.0/24", "sign_up_block",
                   comment=unique("c"))
    assert ip.severity == "sign_up_block"
    today = datetime.datetime.now(datetime.UTC)
    measures = await run(admin.admin_measures, today - datetime.timedelta(days=1), today,
                         new_users=True, opened_reports=True)
    assert {m.key for m in measures} == {"new_users", "opened_reports"}
    retention = await run(admin.admin_retention, today - datetime.timedelta(days=1), today)
    assert retention and retention[-1].frequency == "day"
