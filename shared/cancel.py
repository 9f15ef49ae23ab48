"""Retry loops that catch connection errors must not outlive a cancellation."""

from __future__ import annotations

import asyncio


def raise_if_cancelled(exc: BaseException) -> None:
    """Raise CancelledError when the current task was cancelled but got ``exc`` instead: in
    Python 3.11, asyncio.wait_for (inside the NATS and Postgres clients' connects) can drop a
    cancellation when the connection fails at the same moment. A retry loop that went on
    would outlive the caller that gave up (seen in CI: a service's shutdown hung on it)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc
