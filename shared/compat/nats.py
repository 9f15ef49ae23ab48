"""nats-py's private parts that Hubbub uses. Checked on nats-py 2.16.0 (range: >=2.16,<2.17);
canary: tests/unit/test_compat_nats.py.

Why: EventConsumer's pull loop (shared/consumers.py) sends its own pull requests for
JetStream, because nats-py's ``fetch`` holds the first event of a batch until the batch is
full or the timeout passes. A pull request is a core NATS publish, on the JetStream
context's connection, to ``<API prefix>.CONSUMER.MSG.NEXT.<stream>.<durable>``; nats-py keeps
both the connection and the API prefix (``$JS.API``, or ``$JS.<domain>.API``) private on the
context."""

from __future__ import annotations

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext


def connection_of(js: JetStreamContext) -> NATS:
    """The client the JetStream context talks through (``js._nc``)."""
    return js._nc


def api_prefix(js: JetStreamContext) -> str:
    """The JetStream API subject prefix of the context (``js._prefix``), domain included."""
    return js._prefix


def pull_subject(js: JetStreamContext, stream: str, durable: str) -> str:
    """Where a pull request for the next messages of a durable consumer goes."""
    return f"{api_prefix(js)}.CONSUMER.MSG.NEXT.{stream}.{durable}"
