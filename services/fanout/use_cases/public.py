"""Network-wide timelines: the network's public timeline and its hashtag timelines. Only public
posts outside communities enter them (``policy.in_public_timeline``), so every reader of the
network may see every entry; a guest's network is its own, so it never reads another's."""

from __future__ import annotations

from nats.aio.client import Client as NATS

from shared import events, metrics, policy, subjects
from shared.contracts import live
from shared.records import public_key, tag_key
from shared.routing import EventRoutes
from shared.timelines.writes import TimelineWriter


class PublicTimelines:
    def __init__(self, nc: NATS, writer: TimelineWriter) -> None:
        self.nc = nc
        self.writer = writer

    def routes(self) -> EventRoutes:
        return (EventRoutes().on(events.StatusCreated, self.status_created)
                .on(events.StatusDeleted, self.status_deleted)
                .on(events.StatusUpdated, self.status_updated))

    async def status_created(self, event: events.StatusCreated) -> None:
        facts = policy.PostFacts(author_id=event.account_id, network_id=event.network_id,
                                 visibility=event.visibility, community_id=event.community_id)
        if not policy.in_public_timeline(facts):
            return
        keys = [public_key(event.network_id)]
        keys += [tag_key(event.network_id, tag) for tag in event.tags]
        written = await self.writer.add(keys, event.status_id)
        metrics.TIMELINE_WRITES.labels("public").inc(written)
        if not event.broadcast:
            return  # a silenced author's: the timelines hold it, no stream announces it
        update = live.LiveMessage(event="update", status_id=event.status_id)
        await self._to_tags(event.network_id, event.tags, update)

    async def status_deleted(self, event: events.StatusDeleted) -> None:
        if not event.network_id:
            return  # no network named: in no network's timelines
        keys = [public_key(event.network_id)]
        keys += [tag_key(event.network_id, tag) for tag in event.tags]
        await self.writer.remove(keys, [event.status_id])
        # Hashtag streams showed it (the network's stream hears of it from deliver_status).
        if event.visibility == policy.PUBLIC and event.community_id is None:
            await self._to_tags(event.network_id, event.tags,
                                live.LiveMessage(event="delete", status_id=event.status_id))

    async def status_updated(self, event: events.StatusUpdated) -> None:
        """An edit reaches the network's stream and its hashtags' streams, as it does the
        followers' (Mastodon sends ``status.update`` wherever the status was delivered)."""
        facts = policy.PostFacts(author_id=event.account_id, network_id=event.network_id,
                                 visibility=event.visibility, community_id=event.community_id)
        if not event.network_id or not policy.in_public_timeline(facts):
            return
        update = live.LiveMessage(event="status.update", status_id=event.status_id)
        await self.nc.publish(subjects.live_network(event.network_id), live.encode(update))
        await self._to_tags(event.network_id, event.tags, update)

    async def _to_tags(self, network_id: int, tags: tuple[str, ...],
                       message: live.LiveMessage) -> None:
        encoded = live.encode(message)
        for tag in tags:
            try:
                subject = subjects.live_tag(network_id, tag)
            except subjects.UnsafeToken:
                continue  # posts never makes such a tag; no stream could be watching it
            await self.nc.publish(subject, encoded)
