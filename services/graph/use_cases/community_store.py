"""SQL for communities and memberships, shared by the community use cases and read handlers.

Who may see a community: the accounts of its host network, its members (guests included) and
the accounts invited to it. To anyone else it does not exist (``NotFound``, never ``Forbidden``,
so that a guest learns nothing of the host network).

Every membership change goes through ``add_member``/``remove_member``: the row, the community's
``members_count`` and the event change in the caller's transaction, and only when the row did.
"""

from __future__ import annotations

import asyncpg

from shared import errors, events, outbox
from shared.contracts.communities import MANAGERS, CommunityRecord, Membership

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
    network_id = await conn.fetchval(
        "SELECT network_id FROM accounts WHERE id = $1 AND deactivated_at IS NULL", account_id)
    if network_id is None:
        raise errors.NotFound(NOT_FOUND)
    return network_id


async def membership(conn: asyncpg.Connection, community_id: int, account_id: int
                     ) -> Membership | None:
    row = await conn.fetchrow(
        "SELECT community_id, account_id, role, "
        "(extract(epoch FROM created_at) * 1000)::bigint AS joined_at "
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
