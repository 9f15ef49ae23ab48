"""shared.ids: time-ordered 64-bit ids, their Redis members and client-supplied id parsing."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from shared import ids
from shared.ids import (
    EPOCH_MS,
    LAST_MEMBER_ID,
    MEMBER_WIDTH,
    SEQUENCE_BITS,
    WORKER_BITS,
    IdGenerator,
    created_ms,
    id_at,
    member,
    member_bound,
    member_id,
    new_id,
    parse_id,
)

MAX_SIGNED_64 = 2**63 - 1


def _assert_strictly_increasing(values: list[int]) -> None:
    for earlier, later in zip(values, values[1:], strict=False):
        assert later > earlier, f"{later} is not greater than {earlier}"


def _frozen_clock(monkeypatch: pytest.MonkeyPatch, seconds: list[float]) -> None:
    """Make ``shared.ids`` read the given times, the last one forever after."""
    remaining = list(seconds)

    def fake_time() -> float:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    monkeypatch.setattr(ids, "time", SimpleNamespace(time=fake_time))


# --- ordering -------------------------------------------------------------------------------


def test_generator_ids_strictly_increase_over_10000_calls() -> None:
    generator = IdGenerator(worker=3)
    values = [generator.next() for _ in range(10_000)]
    _assert_strictly_increasing(values)
    assert len(set(values)) == len(values)


def test_new_id_strictly_increases_over_many_calls() -> None:
    values = [new_id() for _ in range(10_000)]
    _assert_strictly_increasing(values)


def test_ids_strictly_increase_within_one_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    # 10,000 ids in one frozen millisecond: more than the 4096 a sequence can count, so the
    # generator must borrow the next millisecond rather than wrap around to a smaller id.
    _frozen_clock(monkeypatch, [1_760_000_000.123])
    generator = IdGenerator(worker=7)
    values = [generator.next() for _ in range(10_000)]
    _assert_strictly_increasing(values)
    assert all(0 < value <= MAX_SIGNED_64 for value in values)


def test_ids_strictly_increase_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    _frozen_clock(monkeypatch, [1_760_000_010.0, 1_760_000_010.0, 1_760_000_000.0,
                                1_759_999_000.0, 1_760_000_005.0, 1_760_000_020.0])
    generator = IdGenerator(worker=1)
    values = [generator.next() for _ in range(8)]
    _assert_strictly_increasing(values)


def test_ids_from_a_later_millisecond_are_larger(monkeypatch: pytest.MonkeyPatch) -> None:
    _frozen_clock(monkeypatch, [1_760_000_000.000, 1_760_000_000.001])
    # Worker bits must not outweigh time: a high worker in the earlier ms still sorts first.
    early = IdGenerator(worker=0x3FF).next()
    late = IdGenerator(worker=0).next()
    assert late > early


# --- layout ---------------------------------------------------------------------------------


def test_ids_fit_in_a_signed_64_bit_integer() -> None:
    for _ in range(1000):
        value = new_id()
        assert 0 < value <= MAX_SIGNED_64
        assert value.bit_length() <= 63


def test_worker_bits_are_in_the_id() -> None:
    value = IdGenerator(worker=0x155).next()
    assert (value >> SEQUENCE_BITS) & ((1 << WORKER_BITS) - 1) == 0x155


def test_worker_is_masked_to_ten_bits() -> None:
    value = IdGenerator(worker=0x7FF).next()
    assert (value >> SEQUENCE_BITS) & ((1 << WORKER_BITS) - 1) == 0x3FF
    assert value <= MAX_SIGNED_64


def test_created_ms_is_close_to_now() -> None:
    before = int(time.time() * 1000)
    value = new_id()
    after = int(time.time() * 1000)
    # A burst of earlier calls may have borrowed a few milliseconds ahead; allow a second.
    assert before - 1000 <= created_ms(value) <= after + 1000


def test_created_ms_reads_back_the_generator_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    _frozen_clock(monkeypatch, [1_760_000_000.5])
    assert created_ms(IdGenerator(worker=3).next()) == 1_760_000_000_500


def test_id_at_bounds_the_ids_made_at_a_time() -> None:
    value = new_id()
    ms = created_ms(value)
    assert id_at(ms) <= value < id_at(ms + 1)
    assert created_ms(id_at(ms)) == ms


def test_id_at_before_the_epoch_is_zero() -> None:
    assert id_at(0) == 0
    assert id_at(EPOCH_MS) == 0
    assert id_at(EPOCH_MS + 1) == 1 << (WORKER_BITS + SEQUENCE_BITS)


# --- member(): fixed-width strings for Redis, newest first ------------------------------------

REAL_IDS = [0, 1, 42, 2**53 + 1, 10**17, 2**62, LAST_MEMBER_ID, id_at(EPOCH_MS + 1),
            id_at(3_471_292_800_000)]  # 2080-01-01: members cover ids until 2087


def test_member_is_nineteen_digits_and_round_trips() -> None:
    for value in [*REAL_IDS, new_id()]:
        text = member(value)
        assert len(text) == MEMBER_WIDTH == 19
        assert text.isascii() and text.isdigit() and not text.startswith("0")
        assert int(text) < 2**63  # a listpack stores it as an int64
        assert member_id(text) == member_id(text.encode()) == value


def test_member_sorts_lexicographically_newest_first() -> None:
    values = [*REAL_IDS, 9, 10, 11, 99, 100, 12_345, 2**31, 2**53, 10**17 + 1,
              id_at(EPOCH_MS + 1) + 1, LAST_MEMBER_ID - 1]
    values += [new_id() for _ in range(200)]
    # Plain str() would sort "10" before "9"; the fixed-width members must not.
    assert sorted(values, key=member) == sorted(values, reverse=True)
    assert sorted(member(v) for v in values) == [member(v) for v in sorted(values)[::-1]]


def test_members_of_increasing_ids_are_decreasing() -> None:
    members = [member(new_id()) for _ in range(1000)]
    assert members == sorted(members, reverse=True)
    assert len(set(members)) == len(members)


def test_ids_past_the_members_range_are_refused_and_bounds_clamped() -> None:
    for value in (LAST_MEMBER_ID + 1, MAX_SIGNED_64, -1):
        with pytest.raises(ValueError):
            member(value)
    assert member_bound(MAX_SIGNED_64) == member(LAST_MEMBER_ID)
    assert member_bound(-5) == member(0)
    assert member_bound(123) == member(123)


# --- parse_id(): client-supplied ids --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("1", 1),
        ("123", 123),
        ("007", 7),
        (" 42 ", 42),  # surrounding whitespace is tolerated
        ("9223372036854775807", MAX_SIGNED_64),
        (0, 0),
        (12345, 12345),
        (MAX_SIGNED_64, MAX_SIGNED_64),
    ],
)
def test_parse_id_accepts_decimal_ids(raw: str | int, expected: int) -> None:
    assert parse_id(raw) == expected


def test_parse_id_round_trips_generated_ids() -> None:
    for _ in range(100):
        value = new_id()
        assert parse_id(str(value)) == value
        assert parse_id(value) == value


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "abc",
        "12a",
        "-1",
        "+1",
        "1.5",
        "1e3",
        "0x10",
        "1 2",
        "1" * 25,  # 25 digits
        "1" * 20,  # 20 digits: beyond any signed 64-bit value
        str(2**63),
        str(2**64),
        -1,
        2**63,
        2**64,
    ],
)
def test_parse_id_rejects_non_ids(raw: str | int | None) -> None:
    assert parse_id(raw) is None


def test_parse_id_returns_none_for_non_ascii_digits() -> None:
    assert parse_id("\u00b2") is None  # SUPERSCRIPT TWO: isdigit() but int() refuses it
    assert parse_id("\u0661\u0662") is None  # Arabic-Indic digits: not an id a client sends
    assert parse_id(True) is None


# --- the worker: held, never guessed --------------------------------------------------------


def test_new_id_refuses_without_a_worker() -> None:
    # A process that holds no lease (and was given no explicit worker) must not guess one:
    # random bits are how two processes came to share a worker (issue #15).
    with ids.fixed_worker(None), pytest.raises(ids.NoWorkerLease):
        new_id()


def test_new_id_mints_under_the_installed_worker() -> None:
    with ids.fixed_worker(0x2A5):
        assert (new_id() >> SEQUENCE_BITS) & ids.WORKER_MASK == 0x2A5


class _Switching:
    """A lease that is lost, then re-taken under another worker."""

    def __init__(self) -> None:
        self.worker: int | None = 0x3FF

    def current_worker(self) -> int:
        if self.worker is None:
            raise ids.NoWorkerLease("lost")
        return self.worker


def test_ids_keep_increasing_across_a_worker_change(monkeypatch: pytest.MonkeyPatch) -> None:
    _frozen_clock(monkeypatch, [1_760_000_000.0])
    source = _Switching()
    generator = IdGenerator(source)
    before = [generator.next() for _ in range(3)]
    source.worker = None
    with pytest.raises(ids.NoWorkerLease):
        generator.next()
    source.worker = 1  # a lower worker in the same frozen millisecond
    after = [generator.next() for _ in range(3)]
    _assert_strictly_increasing(before + after)
    assert all((value >> SEQUENCE_BITS) & ids.WORKER_MASK == 1 for value in after)
