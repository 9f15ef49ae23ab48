"""Logging setup: readable lines by default (``hubbub up`` prefixes them per service), JSON lines
for containers (``HUBBUB_LOG_JSON=1``)."""

from __future__ import annotations

import json
import logging
import sys
import time

from shared import access_log
from shared.settings import Settings


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("event_id", "request_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure(settings: Settings, service: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter("%(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Libraries that log every request at INFO drown the useful lines.
    for noisy in ("granian.access", "asyncio", "websockets"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    access_log.configure(settings, service)
