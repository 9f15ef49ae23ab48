"""Uploads for the media benchmark: ``POST /api/v2/media`` with a photo as a multipart form, over
keep-alive connections on raw asyncio streams.

Each photo's request body is built once and sent as many times as asked (every upload is a new
media row): the benchmark's own CPU stays out of the figures it measures (httpx spent ~9 ms of
CPU a request in loadtests/live_bench.py, and would copy each 3-4 MB body into its encoder).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

import msgspec

from loadtests.httpload import read_response
from loadtests.photos import Photo


class Accepted(msgspec.Struct):
    id: str


decode_accepted = msgspec.json.Decoder(Accepted).decode


@dataclass
class Upload:
    photo: int  # which photo of the set
    size: int  # bytes of the photo
    sent: float  # time.time() when the request went out
    answered: float  # time.time() when the answer was in
    status: int  # HTTP status; 0: the connection failed
    media_id: int | None  # of a 202
    refusal: str = ""  # the start of any other answer's body

    @property
    def accepted(self) -> bool:
        return self.status == 202 and self.media_id is not None


def multipart(photo: Photo) -> tuple[str, bytes]:
    """(content type, body) of a form with the photo as ``file``."""
    while True:
        boundary = "hubbub-bench-" + secrets.token_hex(16)
        if boundary.encode() not in photo.data:
            break
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{photo.name}\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    body += photo.data + f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


class Uploader:
    def __init__(self, host: str, port: int, token: str, photos: list[Photo]) -> None:
        self.host, self.port = host, port
        self.photos = photos
        self.requests = []
        for photo in photos:
            content_type, body = multipart(photo)
            head = (f"POST /api/v2/media HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: {content_type}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            self.requests.append(head + body)

    async def upload(self, count: int, concurrency: int, first: int = 0, rate: float = 0.0
                     ) -> list[Upload]:
        """``count`` uploads, photos taken in turn from ``first``, at most ``concurrency`` at
        once; with ``rate``, upload k is not sent before k/rate seconds (else at once)."""
        slots = iter(range(count))
        done: list[Upload] = []
        began = time.perf_counter()

        async def lane() -> None:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                for slot in slots:
                    if rate and (delay := began + slot / rate - time.perf_counter()) > 0:
                        await asyncio.sleep(delay)
                    index = (first + slot) % len(self.photos)
                    sent = time.time()
                    media_id, refusal = None, ""
                    try:
                        writer.write(self.requests[index])
                        await writer.drain()
                        status, body = await read_response(reader)
                        if status == 202:
                            media_id = int(decode_accepted(body).id)
                        else:
                            refusal = body[:200].decode(errors="replace")
                    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                        status, refusal = 0, repr(exc)[:200]
                        writer.close()
                        reader, writer = await asyncio.open_connection(self.host, self.port)
                    done.append(Upload(index, len(self.photos[index].data), sent, time.time(),
                                       status, media_id, refusal))
            finally:
                writer.close()

        await asyncio.gather(*(lane() for _ in range(min(concurrency, count))))
        return done
