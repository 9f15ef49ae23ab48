"""Fixtures of the gateway tests."""

from __future__ import annotations

import pytest

from services.gateway.streaming.direct import DirectSend


@pytest.fixture
def direct_sends(monkeypatch: pytest.MonkeyPatch) -> tuple[list[DirectSend], list[bool]]:
    """Every DirectSend made, and the result of every direct write."""
    made: list[DirectSend] = []
    results: list[bool] = []
    of, frame = DirectSend.of.__func__, DirectSend.frame  # type: ignore[attr-defined]

    def recording_of(cls, send):
        found = of(cls, send)
        if found is not None:
            made.append(found)
        return found

    def recording_frame(self, data: bytes) -> bool:
        results.append(frame(self, data))
        return results[-1]

    monkeypatch.setattr(DirectSend, "of", classmethod(recording_of))
    monkeypatch.setattr(DirectSend, "frame", recording_frame)
    return made, results
