"""What travels on the live subjects (``hubbub.live.>``, core NATS, at-most-once): ids only.
Each gateway renders the payload for its own clients, through the visibility policy."""

from __future__ import annotations

import msgspec


class LiveMessage(msgspec.Struct, frozen=True, kw_only=True):
    event: str  # update, delete, notification, status.update, conversation
    status_id: int | None = None  # a conversation's: its last status, as notify wrote it
    notification_id: int | None = None
    conversation_id: int | None = None  # notify's, on the participant's own subject


class LiveBatch(msgspec.Struct, frozen=True, kw_only=True):
    """A live message for many users (``hubbub.live.users``), as fanout sends a status to its
    readers: one NATS message per post and gateway instead of one per reader, whose parsing and
    dispatch cost each gateway ~40 us per reader (a post to 1,000 followers: 40 ms of delay
    for the last of them)."""

    event: str
    status_id: int | None = None
    notification_id: int | None = None
    user_ids: list[int]

    def message(self) -> LiveMessage:
        return LiveMessage(event=self.event, status_id=self.status_id,
                           notification_id=self.notification_id)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(LiveMessage)
_batch_decoder = msgspec.json.Decoder(LiveBatch)


def encode(message: LiveMessage) -> bytes:
    return _encoder.encode(message)


def decode(data: bytes) -> LiveMessage:
    return _decoder.decode(data)


def encode_batch(message: LiveMessage, user_ids: list[int]) -> bytes:
    return _encoder.encode(LiveBatch(event=message.event, status_id=message.status_id,
                                     notification_id=message.notification_id,
                                     user_ids=user_ids))


def decode_batch(data: bytes) -> LiveBatch:
    return _batch_decoder.decode(data)
