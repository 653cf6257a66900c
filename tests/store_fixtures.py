"""The store tests' fixtures: `store_url` (an empty database), `store` (migrated) and
`session_id`, each once per backend. Loaded by `pytest_plugins = ["store_fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scalpbot.store import Store, sqlite_url
from store_support import postgres_database

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend, of this test alone."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "store" / "scalpbot.db")
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store on each backend."""
    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def session_id(store: Store) -> int:
    """A paper session to hang orders, fills and positions on."""
    return store.sessions.create(
        "paper", "paper", [{"name": "ema"}], {"capital": "100000"}, "replay", "key-1"
    )
