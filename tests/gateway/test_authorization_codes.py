"""An authorization code past its lifetime is refused: the test ages the code in the gateway's
store, which the API cannot do."""

from __future__ import annotations

from services.gateway.tokens import digest
from tests.helpers import Api
from tests.helpers.oauth import (
    code_of,
    exchange,
    invalid_grant,
    pkce,
    query,
    register_app,
    sign_in,
)


async def test_expired_code_is_refused(api: Api) -> None:
    user = await api.user()
    app = await register_app(api)
    verifier, challenge = pkce()
    params = query(app, challenge)
    code = code_of(await sign_in(api, params, user), params)
    await api.stack.gateway.pool.execute(
        "UPDATE authorization_codes SET expires_at = now() - interval '1 second' "
        "WHERE code_hash = $1", digest(code))
    assert invalid_grant(await exchange(api, app, code, verifier))
