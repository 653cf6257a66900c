"""`create_app`: the FastAPI application of one scalpbot home.

    app = create_app(home, run_options=RunOptions(speed=60), start_session=True)
    uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=8050)).serve()

Everything long-lived is made in the app's lifespan, inside the server's event loop: the store
(unless one is passed in), the `SessionManager` that runs the trading session as a task of that
same loop, the authenticator, the WebSocket push hub and the backtest jobs. So the web server
and the engine share one thread, as DESIGN.md wants, and an API handler calls the session's
control surface directly.

Every path but /api/login and /api/health needs authentication (`AuthMiddleware`), the OpenAPI
document at /openapi.json included; there is no /docs page (it would load Swagger UI from a CDN).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from scalpbot import __version__
from scalpbot.api import errors, pages
from scalpbot.api.auth import SESSION_COOKIE, Authenticator
from scalpbot.api.deps import ApiContext
from scalpbot.api.jobs import BacktestJobs
from scalpbot.api.middleware import PUBLIC_PATHS, AuthMiddleware
from scalpbot.api.push import PushHub
from scalpbot.api.routers import (
    auth,
    broker_login,
    brokers,
    dashboard_actions,
    optimizations,
    settings,
    status_control,
    strategies,
    ws,
)
from scalpbot.api.sweeps import SweepIndex
from scalpbot.config import load_settings
from scalpbot.domain import ScalpbotError
from scalpbot.runtime.factory import RunOptions
from scalpbot.runtime.home_store import open_home_store
from scalpbot.runtime.manager import SessionManager
from scalpbot.runtime.session import StatusSink
from scalpbot.store import Store

log = logging.getLogger(__name__)

DESCRIPTION = """\
REST API of a scalpbot installation: session status and control, brokers, strategies,
backtests and parameter sweeps, settings. Authenticate with `POST /api/login` (then the
session cookie, with `X-CSRF-Token` on changes, or `Authorization: Bearer <token>`) or with
an API token as a bearer token. Money is given as text (exact decimals). The push channel is
the WebSocket `/ws` (see docs/api.md)."""


def open_store(home: Path) -> Store:
    """The store named by the home's settings (the SQLite file in the home by default)."""
    settings = load_settings(home)
    home.mkdir(parents=True, exist_ok=True)
    return open_home_store(settings, home)


def create_app(
    home: Path,
    *,
    store: Store | None = None,
    run_options: RunOptions | None = None,
    start_session: bool = False,
    resume: bool = False,
    status: StatusSink | None = None,
    push_interval_s: float = 0.5,
) -> FastAPI:
    """The app of `home`. `run_options` are the defaults of sessions started through the API
    (speed, seed, feed); `start_session` starts one (the settings' strategies) at startup.
    A passed-in `store` is left open at shutdown; one the app opened itself is closed."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        the_store = store if store is not None else open_store(home)
        manager = SessionManager(home, the_store, defaults=run_options, status=status)
        hub = PushHub(manager, the_store, interval_s=push_interval_s)
        context = ApiContext(
            home=home,
            store=the_store,
            manager=manager,
            auth=Authenticator(the_store),
            hub=hub,
            jobs=BacktestJobs(the_store),
            sweeps=SweepIndex(the_store),
        )
        app.state.api = context
        hub.start()
        if start_session:
            await _start(manager, resume)
        try:
            yield
        finally:
            await manager.shutdown()
            await hub.close()
            await context.jobs.close()
            app.state.api = None
            if store is None:
                the_store.close()

    app = FastAPI(
        title="scalpbot",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.api = None
    errors.install(app)
    for module in (auth, status_control, brokers, strategies, optimizations, settings, ws):
        app.include_router(module.router)
    app.include_router(broker_login.router)
    app.add_middleware(
        AuthMiddleware,
        public_paths=PUBLIC_PATHS | pages.public_paths() | broker_login.PUBLIC_PATHS,
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _openapi_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> dict[str, Any]:
        return app.openapi()

    # The dashboard: its extra actions, its pages (scalpbot.api.pages) and static files.
    app.include_router(dashboard_actions.router)
    app.include_router(pages.router)
    app.mount("/static", pages.static_files(), name="static")
    return app


async def _start(manager: SessionManager, resume: bool) -> None:
    """Start the settings' session; a bad setting is reported, not fatal: the server still
    comes up so the settings can be fixed from the dashboard."""
    try:
        await manager.start(resume=resume, tag={"source": "startup"})
    except ScalpbotError as exc:
        manager.error = f"the session did not start: {exc}"
        log.error("%s", manager.error)
        manager.store.events.add("session_failed", manager.error, None, None, time.time_ns())


def _openapi_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = document.setdefault("components", {})
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A login token (POST /api/login) or an API token (POST /api/tokens)",
        },
        "session_cookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": SESSION_COOKIE,
            "description": "Set by POST /api/login; changes also need the X-CSRF-Token header",
        },
    }
    document["security"] = [{"bearer": []}, {"session_cookie": []}]
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            if path in PUBLIC_PATHS:
                operation["security"] = []
            else:
                operation.setdefault("responses", {}).setdefault(
                    "401", {"description": "Not authenticated"}
                )
    return document
