"""Timeline members in a real Valkey (shared/ids.py ``member``): a full timeline stays a listpack
of int64 entries, ~12 bytes an entry (the old zero-padded members took ~24), the writes'
trim keeps the newest, and pages read through shared/timelines/reads.py match a plain model."""

from __future__ import annotations

import random

import pytest

from shared import cache
from shared.ids import id_at, member
from shared.settings import Settings
from shared.timelines import compact, reads
from shared.timelines.scripts import MERGE_AND_TRIM

CAP = 800


@pytest.fixture
async def r(servers: Settings):
    client = cache.client(servers)
    try:
        yield client
    finally:
        await client.aclose()


def statuses(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    first = id_at(1_780_000_000_000)
    return sorted({first + rng.randrange(1 << 40) for _ in range(n)})


async def test_a_timeline_of_800_is_a_listpack_of_12_bytes_an_entry(r) -> None:
    key = "tl:v2:{members-test}:size"
    await r.delete(key)
    # The embedded Valkey keeps timelines of the cap compact (shared/timelines/compact.py).
    assert compact.listpack_entries(CAP) <= int(
        (await r.config_get(compact.SETTING))[compact.SETTING])
    ids = statuses(CAP + 100, 1)
    for n in range(0, len(ids), 100):  # oldest first, as fanout adds them
        await r.zadd(key, {member(i): 0 for i in ids[n:n + 100]})
    await r.eval(MERGE_AND_TRIM, 1, key, CAP, 256)  # no members: only the trim to the cap
    assert await r.zcard(key) == CAP
    assert await r.object("encoding", key) == b"listpack"
    # The newest at the head, the oldest trimmed away.
    assert await r.zrange(key, 0, 0) == [member(ids[-1]).encode()]
    assert await r.zrange(key, -1, -1) == [member(ids[-CAP]).encode()]
    # An int64 (10 bytes with its header and back-length) and score 0 (2): the old 20-digit
    # padded members took 24.04 bytes an entry here, a skiplist ~75.
    per_entry = await r.memory_usage(key, samples=0) / CAP
    assert per_entry <= 12.5
    await r.delete(key)


async def test_pages_match_a_plain_model(r) -> None:
    key = "tl:v2:{members-test}:pages"
    ids = statuses(60, 2)
    await r.delete(key)
    await r.zadd(key, {member(i): 0 for i in ids})
    newest_first = ids[::-1]
    probes = [None, ids[0], ids[10], ids[30] + 1, ids[-1], 0, 2**63 - 1]
    for limit in (1, 5, 40):
        for max_id in probes:
            for since_id in probes:
                expected = [i for i in newest_first if (max_id is None or i < max_id)
                            and (since_id is None or i > since_id)][:limit]
                assert await reads.page(r, key, limit=limit, max_id=max_id,
                                        since_id=since_id) == expected
            for min_id in probes[1:]:
                above = [i for i in ids if i > min_id and (max_id is None or i < max_id)]
                assert await reads.page(r, key, limit=limit, max_id=max_id, min_id=min_id
                                        ) == above[:limit][::-1]
    await r.delete(key)
