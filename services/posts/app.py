"""The posts service: statuses and everything written about them. Owns the ``posts`` schema."""

from __future__ import annotations

from services.posts import handlers
from services.posts.cards.worker import CardWorker
from services.posts.feeds.poller import FeedPoller
from services.posts.media.worker import MediaWorker
from services.posts.use_cases.clean_media import CleanMedia
from services.posts.use_cases.polls import ClosePolls
from services.posts.use_cases.post_status import PostStatus
from services.posts.use_cases.publish_due_statuses import PublishDueStatuses
from services.runtime import BaseService
from shared.contracts import posts as posts_api
from shared.link_fetch import Guard
from shared.media.limits import MediaLimits
from shared.media.storage import MediaStorage, open_storage
from shared.outbox import OutboxRelay
from shared.request_keys import RequestKeys
from shared.service_host import ServiceHost


class PostsService(BaseService):
    name = "posts"
    schema = "posts"

    async def setup(self) -> None:
        assert self.pool and self.js and self.nc and self.redis
        relay = OutboxRelay(self.pool, self.js, "posts", database_url=self.settings.database_url)
        await relay.start()
        self.keep(relay)
        self.relay = relay
        closer = ClosePolls(self.pool, self.redis.main)
        await closer.start()
        self.keep(closer)
        publisher = PublishDueStatuses(
            self.pool, self.nc, PostStatus(self.pool, self.redis.main, self.nc, self.settings),
            self.settings.scheduled_check_seconds)
        await publisher.start()
        self.keep(publisher)
        host = ServiceHost(self.nc, posts_api.VERBS, keys=RequestKeys(self.pool))
        # The lean client: the caches of the write path (status, viewer flags) are a few small
        # commands a request, each ~0.2 ms of Python on redis-py.
        handlers.register(host, self.pool, self.redis.lean, self.nc, self.settings,
                          reads=self.read_pool)
        await host.start()
        self.keep(host)
        # Media: the worker that processes uploads (and deletes files no one needs), and the
        # chore that finds what was never attached.
        self.storage: MediaStorage = open_storage(self.settings)
        self.keep(_Closing(self.storage))
        worker = MediaWorker(self.pool, self.redis.main, self.nc, self.js, self.storage,
                             MediaLimits(), workers=self.settings.media_workers,
                             max_deliver=self.settings.max_deliver)
        await worker.start()
        self.keep(worker)
        self.media_worker = worker
        if self.settings.cards:
            cards = CardWorker(self.pool, self.redis.main, self.js,
                               guard=Guard(allow_private=self.settings.cards_allow_private),
                               base_url=self.settings.base_url,
                               max_deliver=self.settings.max_deliver)
            await cards.start()
            self.keep(cards)
            self.card_worker = cards
        # Inbound feeds: each process polls the due ones (a lease per feed: one poller each).
        self.feed_poller = FeedPoller(
            self.pool, PostStatus(self.pool, self.redis.main, self.nc, self.settings),
            self.settings)
        await self.feed_poller.start()
        self.keep(self.feed_poller)
        cleaner = CleanMedia(self.pool, orphan_hours=self.settings.media_orphan_hours)
        await cleaner.start()
        self.keep(cleaner)

    def checks(self) -> dict[str, bool]:
        checks = super().checks()
        relay = getattr(self, "relay", None)
        checks["outbox"] = bool(relay and relay.healthy)
        return checks


class _Closing:
    """Media storage as a Stoppable: its connections (S3) closed at shutdown."""

    def __init__(self, storage: MediaStorage) -> None:
        self.storage = storage

    async def stop(self) -> None:
        await self.storage.close()
