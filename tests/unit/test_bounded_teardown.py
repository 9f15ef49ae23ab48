"""The test stack's teardown steps are bounded (tests/conftest.py ``bounded_step``): a step that
hangs is reported with every task's stack, and cancelled; the teardown goes on."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import bounded_step


async def stuck_forever() -> None:
    await asyncio.Event().wait()


async def test_a_hanging_step_is_reported_and_cancelled() -> None:
    with pytest.warns(UserWarning, match=r"posts\.stop\(\) still running after 0 s") as caught:
        await asyncio.wait_for(bounded_step("posts.stop()", stuck_forever(), seconds=0.2), 5)
    assert "stuck_forever" in str(caught[0].message)  # where it hung


async def test_a_step_that_ends_is_awaited_and_its_error_raised() -> None:
    async def fails() -> None:
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        await bounded_step("fails", fails(), seconds=5)
