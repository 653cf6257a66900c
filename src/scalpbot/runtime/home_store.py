"""`open_home_store`: the store of a scalpbot home, as its settings name it.

Every command that works on a home (run, serve, backtest --save, admin, the API) opens the
store the same way, so they all see one database and fold in the same order intents a killed
session left behind (`store.intent_log`): beside a SQLite file, or in the home's `intents/` for
PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from scalpbot.config import Settings, layout
from scalpbot.store import Store


def open_home_store(settings: Settings, home: Path) -> Store:
    """Open (and migrate) the store `settings` name for `home`."""
    paths = layout(home)
    return Store.open(settings.database_url(paths), intents_dir=settings.intents_dir(paths))
