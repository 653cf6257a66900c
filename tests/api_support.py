"""Helpers of the API tests (this module holds no tests itself); their fixtures are in
api_fixtures.py, loaded with `pytest_plugins = ["api_fixtures"]`.

Every test gets a home of its own (tmp_path) with a real store, a real app whose lifespan runs
in the test's event loop (so a session started through the API trades in that loop), and a
dashboard user with a known password. Most tests talk to the app through httpx's ASGI
transport; the server tests start `scalpbot serve` itself on a free loopback port.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from scalpbot.api.app import create_app
from scalpbot.api.auth import set_user_password
from scalpbot.api.deps import ApiContext
from scalpbot.config import init_home, layout, load_settings
from scalpbot.runtime.factory import RunOptions
from scalpbot.store import Store

USERNAME = "admin"
PASSWORD = "correct horse battery staple"
#: Fast enough that the simulated market trades within a second or two of wall time.
FAST = 3000.0
SCALPBOT = [sys.executable, "-m", "scalpbot"]


def make_home(root: Path) -> Path:
    """A home with the default config (ma_cross on RELIANCE, INFY, HDFCBANK) and a user."""
    init_home(root)
    with open_store(root) as store:
        set_user_password(store, USERNAME, PASSWORD)
    return root


def open_store(home: Path) -> Store:
    return Store.open(load_settings(home).database_url(layout(home)))


@dataclass
class Api:
    """A running app and an httpx client speaking to it in-process."""

    app: FastAPI
    client: httpx.AsyncClient
    home: Path

    @property
    def context(self) -> ApiContext:
        context: ApiContext = self.app.state.api
        return context

    async def login(self, username: str = USERNAME, password: str = PASSWORD) -> dict[str, Any]:
        response = await self.client.post(
            "/api/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def bearer(self) -> dict[str, str]:
        """Headers of a fresh login (bearer token; no cookie is kept for it)."""
        body = await self.login()
        self.client.cookies.clear()
        return {"Authorization": f"Bearer {body['token']}"}


@asynccontextmanager
async def running_api(
    home: Path, *, speed: float = FAST, start_session: bool = False, **kwargs: Any
) -> AsyncIterator[Api]:
    """The app of `home` with its lifespan running in this loop, and a client for it."""
    store = open_store(home)
    app = create_app(
        home,
        store=store,
        run_options=RunOptions(feed="simulated", speed=speed, seed=11),
        start_session=start_session,
        push_interval_s=0.1,
        **kwargs,
    )
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", timeout=30
            ) as client:
                yield Api(app, client, home)
    finally:
        store.close()


async def wait_until(predicate: Any, timeout: float = 20.0, every: float = 0.05) -> None:
    """Await until `predicate()` (sync or async) is true; fail after `timeout` seconds."""
    import asyncio
    import inspect

    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(every)


# -- the real server -------------------------------------------------------------------------
@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    first_output: str


def start_server(home: Path, *args: str, timeout: float = 30.0) -> Server:
    """`scalpbot serve --port 0` in a subprocess; returns once it printed its URL."""
    process = subprocess.Popen(
        [*SCALPBOT, "serve", "--home", str(home), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.match(r"dashboard: (http://\S+)", line)
        if found:
            return Server(process, found.group(1), "".join(lines))
    process.kill()
    _, err = process.communicate(timeout=10)
    raise AssertionError(f"serve did not start: {''.join(lines)}{err}")


def stop_server(server: Server) -> tuple[str, str]:
    server.process.terminate()
    out, err = server.process.communicate(timeout=30)
    return out, err
