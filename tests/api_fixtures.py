"""Fixtures of the API tests: `home` (a home with a user), `api` (the app running in the
test's loop, with a client), `authed` (the same client with a bearer token), `server` (a real
`scalpbot serve` on a free port). Loaded by `pytest_plugins = ["api_fixtures"]`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from api_support import FAST, Api, Server, make_home, running_api, start_server, stop_server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return make_home(tmp_path / "home")


@pytest.fixture
async def api(home: Path) -> AsyncIterator[Api]:
    async with running_api(home) as running:
        yield running


@pytest.fixture
async def authed(api: Api) -> Api:
    """`api` whose client sends a bearer token on every request."""
    api.client.headers.update(await api.bearer())
    return api


@pytest.fixture
def server(home: Path) -> Iterator[Server]:
    started = start_server(home, "--speed", str(FAST))
    try:
        yield started
    finally:
        if started.process.poll() is None:
            stop_server(started)
