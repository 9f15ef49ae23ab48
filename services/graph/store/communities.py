"""SQL for communities and memberships, for the community use cases and read handlers.

Who may see a community: the accounts of its host network, its members (guests included) and
the accounts invited to it. To anyone else it does not exist (``NotFound``, never ``Forbidden``,
so that a guest learns nothing of the host network).

Every membership change goes through ``add_member``/``remove_member``: the row, the community's
``members_count`` and the event change in the caller's transaction, and only when the row did.
"""

from __future__ import annotations

import asyncpg

from shared import errors, events, outbox
from shared.contracts.communities import MANAGERS, CommunityRecord, JoinRequest, Membership
from shared.paging import id_window

# $1 is the reader. The reader's own row in accounts gives its network (and no row at all when
# the reader does not exist).
COMMUNITY_SELECT = """
SELECT c.id, c.network_id, n.domain AS network_domain, c.name, c.description, c.membership,
    c.external, c.members_count, c.created_by,
    (extract(epoch FROM c.created_at) * 1000)::bigint AS created_at,
    m.role, r.id IS NOT NULL AS requested, i.id IS NOT NULL AS invited,
    reader.network_id AS reader_network_id
FROM communities c
JOIN networks n ON n.id = c.network_id
JOIN accounts reader ON reader.id = $1
LEFT JOIN community_members m ON m.community_id = c.id AND m.account_id = $1
LEFT JOIN community_requests r ON r.community_id = c.id AND r.account_id = $1
LEFT JOIN community_invitations i ON i.community_id = c.id AND i.account_id = $1
"""

VISIBLE = "(c.network_id = reader.network_id OR m.role IS NOT NULL OR i.id IS NOT NULL)"

NOT_FOUND = "Record not found"

MEMBERSHIP_COLUMNS = ("community_id, account_id, role, "
                      "(extract(epoch FROM created_at) * 1000)::bigint AS joined_at")


def record_from_row(row: asyncpg.Record) -> CommunityRecord:
    values = dict(row)
    values.pop("reader_network_id")
    return CommunityRecord(**values)


class Seen:
    """A community as its reader sees it, with the reader's network (is the reader a guest?)."""

    def __init__(self, row: asyncpg.Record) -> None:
        self.record = record_from_row(row)
        self.reader_network_id: int = row["reader_network_id"]

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def role(self) -> str | None:
        return self.record.role

    @property
    def reader_is_guest(self) -> bool:
        return self.reader_network_id != self.record.network_id

    def require_manager(self) -> None:
        if self.role not in MANAGERS:
            raise errors.Forbidden("Only the owner and admins of this community can do that")

    def require_member(self) -> None:
        if self.role is None:
            raise errors.Forbidden("You are not a member of this community")


async def seen_by(conn: asyncpg.Connection, account_id: int, community_id: int, *,
                  lock: bool = False) -> Seen:
    """The community if the account may see it, else ``NotFound``. ``lock`` takes the
    community's row lock: membership changes of one community then run one at a time, so that
    checks such as "the last owner" hold until commit."""
    row = await conn.fetchrow(
        f"{COMMUNITY_SELECT} WHERE c.id = $2 AND {VISIBLE}"
        + (" FOR UPDATE OF c" if lock else ""),
        account_id, community_id)
    if row is None:
        raise errors.NotFound(NOT_FOUND)
    return Seen(row)


async def visible_to(conn: asyncpg.Connection, account_id: int, q: str, limit: int
                     ) -> list[CommunityRecord]:
    rows = await conn.fetch(
        f"{COMMUNITY_SELECT} WHERE {VISIBLE} "
        "AND ($2 = '' OR strpos(lower(c.name), lower($2)) > 0) "
        "ORDER BY lower(c.name), c.id LIMIT $3",
        account_id, q, limit)
    return [record_from_row(row) for row in rows]


async def account_network(conn: asyncpg.Connection, account_id: int) -> int:
    network_id: int | None = await conn.fetchval(
        "SELECT network_id FROM accounts WHERE id = $1 AND active", account_id)
    if network_id is None:
        raise errors.NotFound(NOT_FOUND)
    return network_id


async def membership(conn: asyncpg.Connection, community_id: int, account_id: int
                     ) -> Membership | None:
    row = await conn.fetchrow(
        f"SELECT {MEMBERSHIP_COLUMNS} "
        "FROM community_members WHERE community_id = $1 AND account_id = $2",
        community_id, account_id)
    return Membership(**dict(row)) if row else None


async def add_member(conn: asyncpg.Connection, community_id: int, account_id: int, role: str
                     ) -> bool:
    """Make the account a member (and settle its request or invitation); False if it was one."""
    inserted = await conn.fetchval(
        "INSERT INTO community_members (community_id, account_id, role) VALUES ($1, $2, $3) "
        "ON CONFLICT (community_id, account_id) DO NOTHING RETURNING true",
        community_id, account_id, role)
    await conn.execute(
        "DELETE FROM community_requests WHERE community_id = $1 AND account_id = $2",
        community_id, account_id)
    await conn.execute(
        "DELETE FROM community_invitations WHERE community_id = $1 AND account_id = $2",
        community_id, account_id)
    if inserted:
        await _count(conn, community_id, +1)
        await outbox.add(conn, "graph", events.CommunityJoined(
            community_id=community_id, account_id=account_id, role=role))
    return bool(inserted)


async def remove_member(conn: asyncpg.Connection, community_id: int, account_id: int) -> bool:
    """End the account's membership (and any pending invitation); False if it had none."""
    removed = await conn.fetchval(
        "DELETE FROM community_members WHERE community_id = $1 AND account_id = $2 "
        "RETURNING true",
        community_id, account_id)
    await conn.execute(
        "DELETE FROM community_invitations WHERE community_id = $1 AND account_id = $2",
        community_id, account_id)
    if removed:
        await _count(conn, community_id, -1)
        await outbox.add(conn, "graph", events.CommunityLeft(
            community_id=community_id, account_id=account_id))
    return bool(removed)


async def _count(conn: asyncpg.Connection, community_id: int, delta: int) -> None:
    # Relative, inside the membership's transaction: concurrent joins cannot lose a count.
    await conn.execute(
        "UPDATE communities SET members_count = members_count + $2 WHERE id = $1",
        community_id, delta)


async def insert_community(conn: asyncpg.Connection, community_id: int, network_id: int,
                           name: str, description: str, membership: str, external: bool,
                           created_by: int) -> None:
    """Raises ``asyncpg.UniqueViolationError`` when the network has a community of that name."""
    await conn.execute(
        "INSERT INTO communities (id, network_id, name, description, membership, "
        "external, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        community_id, network_id, name, description, membership, external, created_by)


async def members_count(conn: asyncpg.Connection, community_id: int) -> int:
    count: int = await conn.fetchval("SELECT members_count FROM communities WHERE id = $1",
                                     community_id)
    return count


async def owners_count(conn: asyncpg.Connection, community_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM community_members WHERE community_id = $1 "
        "AND role = 'owner'", community_id)
    return count


async def set_role(conn: asyncpg.Connection, community_id: int, account_id: int, role: str
                   ) -> None:
    await conn.execute(
        "UPDATE community_members SET role = $3 WHERE community_id = $1 "
        "AND account_id = $2", community_id, account_id, role)


async def set_notify(conn: asyncpg.Connection, community_id: int, account_id: int,
                     notify: bool) -> int | None:
    """The member's id, or None when the account is not a member."""
    member_id: int | None = await conn.fetchval(
        "UPDATE community_members SET notify = $3 WHERE community_id = $1 "
        "AND account_id = $2 RETURNING account_id", community_id, account_id, notify)
    return member_id


# --- join requests and invitations --------------------------------------------------------------

async def has_requested(conn: asyncpg.Connection, community_id: int, account_id: int) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM community_requests "
        "WHERE community_id = $1 AND account_id = $2)", community_id, account_id))


async def insert_request(conn: asyncpg.Connection, request_id: int, community_id: int,
                         account_id: int) -> None:
    await conn.execute(
        "INSERT INTO community_requests (id, community_id, account_id) "
        "VALUES ($1, $2, $3) ON CONFLICT (community_id, account_id) DO NOTHING",
        request_id, community_id, account_id)


async def delete_request(conn: asyncpg.Connection, community_id: int, account_id: int) -> bool:
    """True when there was a request."""
    return bool(await conn.fetchval(
        "DELETE FROM community_requests WHERE community_id = $1 AND account_id = $2 "
        "RETURNING true", community_id, account_id))


async def insert_invitation(conn: asyncpg.Connection, invitation_id: int, community_id: int,
                            account_id: int, invited_by: int) -> bool:
    """True when the invitation is new."""
    return bool(await conn.fetchval(
        "INSERT INTO community_invitations (id, community_id, account_id, invited_by) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (community_id, account_id) DO NOTHING "
        "RETURNING true",
        invitation_id, community_id, account_id, invited_by))


# --- reads: members and requests ----------------------------------------------------------------

async def members_page(conn: asyncpg.Connection, community_id: int, *, max_id: int | None,
                       since_id: int | None, min_id: int | None, limit: int,
                       max_limit: int) -> list[Membership]:
    """Memberships paged by member account id, newest first."""
    window = id_window("account_id", max_id=max_id, since_id=since_id, min_id=min_id,
                       limit=limit, max_limit=max_limit, first_arg=2)
    rows = await conn.fetch(
        f"SELECT {MEMBERSHIP_COLUMNS} FROM community_members WHERE community_id = $1"
        f"{window.sql}", community_id, *window.args)
    return window.newest_first([Membership(**dict(row)) for row in rows])


async def requests_page(conn: asyncpg.Connection, community_id: int, *, max_id: int | None,
                        since_id: int | None, min_id: int | None, limit: int,
                        max_limit: int) -> list[JoinRequest]:
    """Pending join requests paged by request id, newest first."""
    window = id_window("id", max_id=max_id, since_id=since_id, min_id=min_id,
                       limit=limit, max_limit=max_limit, first_arg=2)
    rows = await conn.fetch(
        "SELECT id, account_id, (extract(epoch FROM created_at) * 1000)::bigint "
        f"AS created_at FROM community_requests WHERE community_id = $1{window.sql}",
        community_id, *window.args)
    return window.newest_first([JoinRequest(**dict(row)) for row in rows])


async def member_ids(conn: asyncpg.Connection, community_id: int, after_id: int, limit: int,
                     followers_of: int | None) -> list[int]:
    """Member ids after ``after_id`` in id order; only followers of ``followers_of`` if given."""
    rows = await conn.fetch(
        "SELECT m.account_id FROM community_members m WHERE m.community_id = $1 "
        "AND m.account_id > $2 AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM follows f"
        " WHERE f.follower_id = m.account_id AND f.followee_id = $4)) "
        "ORDER BY m.account_id LIMIT $3",
        community_id, after_id, limit, followers_of)
    return [row["account_id"] for row in rows]


async def notified_member_ids(conn: asyncpg.Connection, community_id: int, after_id: int,
                              limit: int) -> list[int]:
    """Members who asked to be notified of the community's posts, in id order."""
    rows = await conn.fetch(
        "SELECT account_id FROM community_members WHERE community_id = $1 AND notify "
        "AND account_id > $2 ORDER BY account_id LIMIT $3",
        community_id, after_id, limit)
    return [row["account_id"] for row in rows]


async def bot_of(conn: asyncpg.Connection, community_id: int) -> int | None:
    """The community's bot account (services/graph/use_cases/community_bot.py), if made."""
    bot_id: int | None = await conn.fetchval(
        "SELECT bot_account_id FROM communities WHERE id = $1", community_id)
    return bot_id


async def make_bot(conn: asyncpg.Connection, community_id: int, bot_id: int) -> None:
    """Mark the account a bot that nobody finds in the directory, and the community's bot."""
    await conn.execute("UPDATE accounts SET bot = true, discoverable = false WHERE id = $1",
                       bot_id)
    await conn.execute("UPDATE communities SET bot_account_id = $2 WHERE id = $1",
                       community_id, bot_id)
