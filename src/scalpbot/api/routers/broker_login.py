"""The two addresses Kite itself calls: the login callback and the order postback.

Callback. Kite's login page sends the user's browser to the app's redirect URL
(`http://127.0.0.1:8050/api/broker/zerodha/callback`) with a one-time `request_token`. The
dashboard's session cookie is SameSite=Strict, so a browser does not send it on that
cross-site redirect; the route is therefore public and checks the session itself. Without one
it answers a page that reloads the same address from our own origin (now same-site, so the
cookie comes along); if there is still no session, it sends the user to log in first and back.
Only a logged-in dashboard user can complete a broker login: a request token from someone
else's browser cannot log this bot into their account.

Postback. Kite's servers POST order updates here (no cookie, no CSRF token possible). The
checksum sha256(order_id + order_timestamp + api_secret) proves the sender; anything else is
refused with 400 and logged, and changes nothing.
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from scalpbot.api.deps import ApiContext
from scalpbot.api.middleware import credential
from scalpbot.config import load_settings
from scalpbot.domain import ScalpbotError
from scalpbot.runtime.broker_access import complete_login, order_from_postback, with_broker
from scalpbot.runtime.live_session import LiveTradingSession

log = logging.getLogger(__name__)

router = APIRouter(tags=["brokers"])

CALLBACK_PATH = "/api/broker/zerodha/callback"
POSTBACK_PATH = "/api/broker/zerodha/postback"
PUBLIC_PATHS = frozenset({CALLBACK_PATH, POSTBACK_PATH})
MAX_POSTBACK_BYTES = 64 * 1024
BROKERS_PAGE = "/accounts"


def _context(request: Request) -> ApiContext:
    context: ApiContext | None = getattr(request.app.state, "api", None)
    if context is None:
        raise RuntimeError("the server is starting or stopping")
    return context


def _page(title: str, message: str, status: int = 200, head: str = "") -> HTMLResponse:
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"{head}</head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        f"<p><a href='{BROKERS_PAGE}'>Back to the dashboard</a></p></body></html>"
    )
    return HTMLResponse(body, status_code=status)


@router.get(
    CALLBACK_PATH,
    summary="Kite's login redirect: exchanges the request_token for the day's access token",
    response_class=HTMLResponse,
    include_in_schema=False,  # Kite's browser redirect lands here; not an API for clients
    responses={303: {"description": "Logged in (to the Brokers page) or to the login page"},
               400: {"description": "The login failed; the page says why"}},
)  # fmt: skip
async def zerodha_callback(
    request: Request,
    request_token: str | None = None,
    status: str | None = None,
    hop: int = 0,
) -> Response:
    context = _context(request)
    token, _ = credential(request.scope, request.headers)
    if context.auth.resolve(token) is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if not hop:
            again = here + ("&" if request.url.query else "?") + "hop=1"
            refresh = f"<meta http-equiv='refresh' content='0;url={html.escape(again)}'>"
            return _page("Finishing the Zerodha login…", "One moment.", 200, refresh)
        return RedirectResponse(f"/login?next={quote(here, safe='')}", status_code=303)
    if status != "success" or not request_token:
        reason = "Kite reported the login failed" if status else "no request_token was given"
        return _page("Zerodha login failed", f"{reason}; try logging in again.", 400)
    settings = with_broker(load_settings(context.home), "zerodha")
    try:
        profile = await asyncio.to_thread(complete_login, settings, context.home, request_token)
    except ScalpbotError as exc:
        log.warning("zerodha login failed: %s", exc)
        return _page("Zerodha login failed", str(exc), 400)
    log.info("logged in to zerodha as %s", profile.user_id)
    return RedirectResponse(f"{BROKERS_PAGE}?login=zerodha", status_code=303)


@router.post(
    POSTBACK_PATH,
    summary="Kite's order postback (checksum verified); feeds the running live session",
    responses={400: {"description": "Not a valid, signed Kite postback; nothing changed"},
               413: {"description": "Body too large"}},
)  # fmt: skip
async def zerodha_postback(request: Request) -> Any:
    context = _context(request)
    body = await request.body()
    if len(body) > MAX_POSTBACK_BYTES:
        return JSONResponse({"detail": "postback body too large"}, status_code=413)
    settings = with_broker(load_settings(context.home), "zerodha")
    try:
        order = await asyncio.to_thread(order_from_postback, settings, context.home, body)
    except ScalpbotError as exc:
        log.warning("zerodha postback refused: %s", exc)
        return JSONResponse({"detail": f"postback refused: {exc}"}, status_code=400)
    session = context.manager.session
    applied = isinstance(session, LiveTradingSession) and context.manager.running
    if applied:
        assert isinstance(session, LiveTradingSession)
        session.broker_gateway.on_order(order)
    return {"status": "ok", "applied": applied}
