"""The pages of who gets in: the confirmation link's page (``/auth/confirmation``, Mastodon's
path) and the first-run setup (``/setup``).

The link in the confirmation e-mail opens a page with a button, and only the button's POST
confirms: mail scanners (Safe Links and the like) open every link in a message, and a GET that
confirmed would let them join anyone. Neither form needs a CSRF token: confirming needs the
mailed token, setting up needs the setup code, and a forged post carries neither."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from services.gateway import params, rate_limits
from services.gateway.context import gateway_of
from services.gateway.scopes import PUBLIC
from services.gateway.sign_in_pages import render
from shared import bus, errors
from shared.contracts import graph as graph_api
from shared.contracts import membership as membership_api


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    params.check_text(fields)
    return fields


@get("/auth/confirmation", include_in_schema=False, opt=PUBLIC)
async def confirmation_page(request: Request[Any, Any, Any]) -> Response[Any]:
    token = request.query_params.get("confirmation_token", "")
    if not token:
        return render("confirmation.html", status=400, state="bad",
                      message="This link has no confirmation code: open the link from the "
                              "e-mail as it is.")
    return render("confirmation.html", state="ask", token=token)


@post("/auth/confirmation", include_in_schema=False, opt=PUBLIC)
async def confirm(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    form = await _form(request)
    try:
        done = await bus.call(gw.nc, graph_api.ACCOUNT_CONFIRM, membership_api.ConfirmEmail(
            token=form.get("confirmation_token", "")))
    except errors.Invalid as exc:
        return render("confirmation.html", status=422, state="bad", message=exc.message)
    return render("confirmation.html", state=done.state, network=done.network_name)


SETUP_FIELDS = ("name", "domain", "admin_email")


async def _set_up_already(gw: Any) -> bool:
    state = await bus.call(gw.nc, graph_api.INSTANCE_STATE, membership_api.Nothing())
    return state.has_networks


@get("/setup", include_in_schema=False, opt=PUBLIC)
async def setup_page(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    if await _set_up_already(gw):
        return render("error.html", status=404, message="This server is set up already.",
                      app_name="", back=None)
    return render("setup.html", made=None, error=None, values=dict.fromkeys(SETUP_FIELDS, ""))


@post("/setup", include_in_schema=False, opt=PUBLIC)
async def set_up(request: Request[Any, Any, Any]) -> Response[Any]:
    gw = gateway_of(request)
    # Guessing the code is throttled like sign-ups, per address.
    await gw.rate_limits.take(rate_limits.host_of(request), "sign_up")
    form = await _form(request)
    values = {k: form.get(k, "").strip() for k in SETUP_FIELDS}
    try:
        made = await bus.call(gw.nc, graph_api.INSTANCE_SET_UP, membership_api.SetUpInstance(
            setup_code=form.get("setup_code", ""), **values))
    except (errors.Invalid, errors.Conflict) as exc:
        return render("setup.html", status=422, made=None, error=exc.message, values=values)
    except errors.Forbidden as exc:
        return render("setup.html", status=403, made=None, error=exc.message, values=values)
    return render("setup.html", made=made, error=None, values=values,
                  invitation=f"/invite/{made.invite_code}")


ROUTES = [confirmation_page, confirm, setup_page, set_up]
