"""The graph service: accounts, networks, follows. Owns the ``graph`` schema."""

from __future__ import annotations

from services.graph import (
    account_extras,
    communities,
    feeds,
    filters,
    handlers,
    lists,
    membership,
    moderation,
    relations,
)
from services.graph.passwords import Passwords
from services.graph.use_cases.count_status import COUNT_LINGER_S, MAX_GROUP, CountStatus
from services.graph.use_cases.create_network import SetupCode
from services.graph.use_cases.follow_account import keep_belled_index
from services.graph.use_cases.followed_tags import keep_followed_tags_index
from services.runtime import BaseService
from shared import member_index
from shared.consumers import EventConsumer
from shared.contracts import graph as graph_api
from shared.outbox import OutboxRelay
from shared.periodic import Every
from shared.request_keys import RequestKeys
from shared.service_host import ServiceHost


class GraphService(BaseService):
    name = "graph"
    schema = "graph"
    passwords: Passwords  # Argon2 work, bounded (made by setup)

    async def setup(self) -> None:
        assert self.pool and self.js and self.nc and self.redis
        relay = OutboxRelay(self.pool, self.js, "graph", database_url=self.settings.database_url)
        await relay.start()
        self.keep(relay)
        counted = CountStatus(self.pool, self.redis.lean).routes()
        counter = EventConsumer(
            self.js, "graph-counters", counted, filter_subjects=counted.filter_subjects(),
            max_deliver=self.settings.max_deliver,
            # Counts need not be prompt: the events of a quarter second are taken together
            # and counted in one group commit (CountStatus), each with its own ack.
            batch=MAX_GROUP, concurrency=MAX_GROUP, linger_s=COUNT_LINGER_S,
        )
        await counter.start()
        self.keep(counter)
        host = ServiceHost(self.nc, graph_api.VERBS, keys=RequestKeys(self.pool))
        self.passwords = Passwords(self.settings.password_checks)
        handlers.register(host, self.pool, self.redis.main, self.passwords, lean=self.redis.lean)
        membership.register(host, self.pool, self.redis.main, self.settings, self.passwords)
        relations.register(host, self.pool, self.redis.main, lean=self.redis.lean)
        communities.register(host, self.pool, self.redis.main)
        lists.register(host, self.pool, self.redis.main)
        filters.register(host, self.pool, self.redis.main)
        account_extras.register(host, self.pool, self.redis.main)
        feeds.register(host, self.pool, self.redis.main)
        moderation.register(host, self.pool, self.redis.main)
        await host.start()
        self.keep(host)
        pool, cache = self.pool, self.redis.main
        # Readers' indexes of rare relations (shared/member_index.py), refilled when lost.
        for chore in (Every(member_index.CHECK_S, lambda: lists.keep_listed_index(pool, cache),
                            "listed-index"),
                      Every(member_index.CHECK_S, lambda: keep_belled_index(pool, cache),
                            "belled-index"),
                      Every(member_index.CHECK_S,
                            lambda: keep_followed_tags_index(pool, cache), "tags-index")):
            await chore.start()
            self.keep(chore)
        await SetupCode(self.pool, self.settings).ensure()
