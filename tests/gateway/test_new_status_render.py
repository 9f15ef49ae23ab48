"""A status just posted is rendered with its author as the request read it: the author's
account is read once per post (for the caller's checks), not again for the answer's JSON."""

from __future__ import annotations

from typing import Any

import pytest

from shared.records import account_key
from tests.helpers import Api


async def test_the_author_is_read_once_for_a_new_status(api: Api,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    author = await api.user()
    await api.post(author, "warm the caches")  # the token and account cached by now
    lean = api.stack.gateway.redis.lean
    sent: list[tuple[Any, ...]] = []
    for name in ("execute_command", "execute_many"):
        real = getattr(lean, name)

        async def recording(*args: Any, _real: Any = real, _name: str = name) -> Any:
            sent.extend(args[0] if _name == "execute_many" else [args])
            return await _real(*args)

        monkeypatch.setattr(lean, name, recording)
    posted = await api.post(author, "rendered from what the request read")
    assert posted["account"]["id"] == author.id
    assert posted["account"]["username"] == author.username
    key = account_key(int(author.id))
    reads = [c for c in sent if key in c or key.encode() in c]
    assert len(reads) == 1, sent
