"""The worker runs processing in a process pool: arguments, results and refusals cross it."""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from services.posts.media import (
    MediaLimits,
    MediaRejected,
    Processed,
    check_upload,
    process_avatar,
    process_media,
)
from services.posts.media import worker as worker_module
from services.posts.media.worker import MediaWorker, new_executor, stop_executor
from tests.helpers import Api
from tests.posts.media import craft


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    # spawn: a fresh interpreter, as a worker that also runs an event loop and threads must use
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def test_processing_runs_in_a_process_pool(pool: ProcessPoolExecutor) -> None:
    data = craft.encoded(craft.picture(), "JPEG", exif=craft.gps_exif(6))
    processed = pool.submit(process_media, data, MediaLimits(), focus=(0.5, 0.5)).result(60)
    assert processed == process_media(data, MediaLimits(), focus=(0.5, 0.5))
    assert pool.submit(process_avatar, data, MediaLimits()).result(60).meta["original"][
        "size"] == "400x400"


def test_a_refusal_crosses_the_pool_with_its_reason(pool: ProcessPoolExecutor) -> None:
    future = pool.submit(process_media, craft.png_bomb(), MediaLimits())
    with pytest.raises(MediaRejected, match="too large to process") as refused:
        future.result(60)
    assert refused.value.reason.startswith("The image is too large")


def test_everything_that_crosses_pickles() -> None:
    processed = process_media(craft.encoded(craft.picture(), "PNG"), MediaLimits())
    sniffed = check_upload(b"%PDF-1.7", 10, MediaLimits())
    for value in (processed, sniffed, MediaLimits(image_max_bytes=5)):
        assert pickle.loads(pickle.dumps(value)) == value
    rejected = pickle.loads(pickle.dumps(MediaRejected("no")))
    assert (type(rejected), rejected.reason, str(rejected)) == (MediaRejected, "no", "no")
    assert isinstance(processed, Processed)


async def test_a_stop_does_not_wait_for_a_stuck_decoder_forever() -> None:
    """A decoding process still busy (a pathological file) is ended once the stop's bound is
    over; its event is redelivered to the next worker."""
    executor = new_executor(1)
    loop = asyncio.get_running_loop()
    stuck = loop.run_in_executor(executor, time.sleep, 120)
    while not executor._processes:  # (started on the first submit)
        await asyncio.sleep(0.05)
    started = time.monotonic()
    await asyncio.wait_for(stop_executor(executor, timeout=1.0), 30)
    assert time.monotonic() - started < 10
    with pytest.raises(BrokenProcessPool):  # (only once its process is gone)
        await asyncio.wait_for(stuck, 30)


async def test_a_worker_stopping_ends_a_stuck_decode_and_does_not_refuse_its_file(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The consumer's stop waits for its handlers, and a handler waits for its decode: a stuck
    decode held the worker's stop forever. Now it is ended after the bound, and its handler
    fails with the pool broken (its event redelivered), not with a refusal of the file."""
    posts = api.stack.posts
    worker = MediaWorker(posts.pool, posts.redis.main, posts.nc, posts.js, posts.storage,
                         MediaLimits())
    monkeypatch.setattr(worker_module, "STOP_TIMEOUT_S", 0.5)
    decoding = asyncio.ensure_future(worker._run(craft.stuck_decoder, b"data"))

    async def consumer_stop() -> None:  # as EventConsumer.stop: its handlers first
        await asyncio.gather(decoding, return_exceptions=True)

    monkeypatch.setattr(worker.consumer, "stop", consumer_stop)
    while not worker.executor._processes:
        await asyncio.sleep(0.05)
    started = time.monotonic()
    await asyncio.wait_for(worker.stop(), 30)
    assert time.monotonic() - started < 10
    with pytest.raises(BrokenProcessPool):
        await decoding
