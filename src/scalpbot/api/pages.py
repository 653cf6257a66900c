"""The dashboard's pages: server-rendered templates that drive the REST API and the push channel.

The pages hold no trading logic: each is a Jinja2 template (autoescaped, so no user-given text
can become markup) plus a small script of `scalpbot/web/static/js` that calls the `/api/*`
endpoints with the session cookie and the `X-CSRF-Token` header, and listens on `/ws`. The
HTML partials under `/partials/` are what htmx swaps in: lists that are simpler to render on the
server than to build in a script (strategies, stored backtests, parameter sweeps, recent trades,
API tokens).

Pages and static files are reached before anyone has logged in (the login page itself, its
stylesheet), so `AuthMiddleware` lets `public_paths()` through and each page checks the
session cookie itself with the same `Authenticator`: without a valid one a page redirects to
/login (an API answers 401 instead, which a browser would show as raw JSON). Partials are
ordinary authenticated routes behind the middleware.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from scalpbot import __version__, web
from scalpbot.api.auth import SESSION_COOKIE, Principal
from scalpbot.api.deps import ApiContext, Caller, Context
from scalpbot.api.views import strategy_view, token_view, trade_view
from scalpbot.config import load_settings, settings_for_display
from scalpbot.config.alerts import CHANNELS, EVENT_NAMES
from scalpbot.data.sample_files import SAMPLES
from scalpbot.domain import ConfigError
from scalpbot.market.sessions import SESSIONS

WEB_DIR = Path(web.__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATE_DIR = WEB_DIR / "templates"

#: The pages of the top navigation: path, template, title.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("/", "dashboard.html", "Dashboard"),
    ("/strategies", "strategies.html", "Strategies"),
    ("/accounts", "accounts.html", "Accounts"),
    ("/settings", "settings.html", "Settings"),
)
LOGIN_PATH = "/login"
RECENT_TRADES = 25
BACKTESTS_SHOWN = 20
SWEEPS_SHOWN = 50

router = APIRouter(include_in_schema=False)


@cache
def _asset_version(relative: str) -> str:
    """A short digest of a static file, appended as `?v=` so a browser never runs a stale
    script against a newer page after an upgrade."""
    try:
        return hashlib.sha256((STATIC_DIR / relative).read_bytes()).hexdigest()[:10]
    except OSError:
        return __version__


def static_url(relative: str) -> str:
    return f"/static/{relative}?v={_asset_version(relative)}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(static=static_url, version=__version__, nav=PAGES)
    return env


templates = Jinja2Templates(env=_environment())


def public_paths() -> frozenset[str]:
    """Paths `AuthMiddleware` must let through unauthenticated: the login page, the pages
    (each redirects to it when needed) and every static file (code and styles, no data)."""
    files = {
        "/static/" + path.relative_to(STATIC_DIR).as_posix()
        for path in STATIC_DIR.rglob("*")
        if path.is_file()
    }
    return frozenset({LOGIN_PATH, *(page[0] for page in PAGES), *files})


def static_files() -> StaticFiles:
    """The ASGI app serving `scalpbot/web/static` (mount it at /static)."""
    return StaticFiles(directory=STATIC_DIR)


# -- who is looking ----------------------------------------------------------------------------
def _context(request: Request) -> ApiContext | None:
    context: ApiContext | None = getattr(request.app.state, "api", None)
    return context


def page_user(request: Request) -> Principal | None:
    """The login session of the page's cookie, or None. Only cookies count: a page is for a
    browser that logged in, not for a script's bearer token."""
    context = _context(request)
    if context is None:
        return None
    principal = context.auth.resolve(request.cookies.get(SESSION_COOKIE))
    return principal if principal is not None and principal.kind == "session" else None


def _to_login(request: Request) -> RedirectResponse:
    path = request.url.path
    target = LOGIN_PATH if path == "/" else f"{LOGIN_PATH}?next={quote(path, safe='/')}"
    return RedirectResponse(target, status_code=303)


def _unavailable() -> HTMLResponse:
    return HTMLResponse("<p>scalpbot is starting or stopping; reload in a moment.</p>", 503)


# -- pages -------------------------------------------------------------------------------------
@router.get(LOGIN_PATH, response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    if _context(request) is None:
        return _unavailable()
    if page_user(request) is not None:
        return RedirectResponse("/", status_code=303)
    return templates.TemplateResponse(request, "login.html", {"title": "Log in", "active": ""})


def _page(request: Request, template: str, **extra: Any) -> Response:
    context = _context(request)
    if context is None:
        return _unavailable()
    user = page_user(request)
    if user is None:
        return _to_login(request)
    title = next(page[2] for page in PAGES if page[1] == template)
    try:
        shown: dict[str, Any] | None = settings_for_display(load_settings(context.home))
    except ConfigError:  # SettingsError included
        shown = None  # the page still opens, so the settings can be looked at and fixed
    values = {"title": title, "active": template, "user": user.username, "settings": shown}
    return templates.TemplateResponse(
        request, template, {**values, **extra}, headers={"Cache-Control": "no-store"}
    )


@router.get("/", response_class=HTMLResponse)
async def dashboard_page(request: Request) -> Response:
    return _page(request, "dashboard.html")


@router.get("/strategies", response_class=HTMLResponse)
async def strategies_page(request: Request) -> Response:
    return _page(request, "strategies.html", samples=SAMPLES)


@router.get("/accounts", response_class=HTMLResponse)
async def accounts_page(request: Request) -> Response:
    return _page(request, "accounts.html")


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(request: Request) -> Response:
    hours = [
        {
            "exchange": str(exchange),
            "pre_open": None if times.pre_open is None else times.pre_open.strftime("%H:%M"),
            "open": times.open.strftime("%H:%M"),
            "square_off": times.square_off.strftime("%H:%M"),
            "close": times.close.strftime("%H:%M"),
        }
        for exchange, times in SESSIONS.items()
    ]
    return _page(request, "settings.html", hours=hours, events=EVENT_NAMES, channels=CHANNELS)


# -- partials (htmx) ---------------------------------------------------------------------------
def _partial(request: Request, template: str, values: dict[str, Any]) -> Response:
    return templates.TemplateResponse(
        request, template, values, headers={"Cache-Control": "no-store"}
    )


@router.get("/partials/strategies", response_class=HTMLResponse)
async def strategies_partial(request: Request, caller: Caller, context: Context) -> Response:
    manager = context.manager
    running_id = manager.tag.get("strategy_id") if manager.running else None
    rows = [strategy_view(r, r.id == running_id) for r in context.store.strategies.list()]
    return _partial(request, "_strategies.html", {"strategies": rows})


@router.get("/partials/backtests", response_class=HTMLResponse)
async def backtests_partial(request: Request, caller: Caller, context: Context) -> Response:
    runs = context.store.backtests.list(BACKTESTS_SHOWN)
    return _partial(request, "_backtests.html", {"runs": runs})


@router.get("/partials/sweeps", response_class=HTMLResponse)
async def sweeps_partial(request: Request, caller: Caller, context: Context) -> Response:
    sweeps = await context.sweeps.summaries(SWEEPS_SHOWN)
    return _partial(request, "_sweeps.html", {"sweeps": sweeps})


@router.get("/partials/trades", response_class=HTMLResponse)
async def trades_partial(request: Request, caller: Caller, context: Context) -> Response:
    session = context.manager.session
    trades = [] if session is None else session.engine.portfolio.trades[-RECENT_TRADES:]
    rows = [trade_view(t) for t in reversed(trades)]
    return _partial(
        request,
        "_trades.html",
        {"trades": rows, "session_id": None if session is None else session.session_id},
    )


@router.get("/partials/tokens", response_class=HTMLResponse)
async def tokens_partial(request: Request, caller: Caller, context: Context) -> Response:
    rows = [token_view(r) for r in context.store.api_tokens.list()]
    return _partial(request, "_tokens.html", {"tokens": rows})
