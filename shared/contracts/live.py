"""What travels on the live subjects (``hubbub.live.>``, core NATS, at-most-once): ids only.
Each gateway renders the payload for its own clients, through the visibility policy."""

from __future__ import annotations

import msgspec


class LiveMessage(msgspec.Struct, frozen=True, kw_only=True):
    event: str  # update, delete, notification, status.update
    status_id: int | None = None
    notification_id: int | None = None


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(LiveMessage)


def encode(message: LiveMessage) -> bytes:
    return _encoder.encode(message)


def decode(data: bytes) -> LiveMessage:
    return _decoder.decode(data)
