"""scalpbot's database: SQLAlchemy 2 models, Alembic migrations and repositories.

`Store.open(url)` connects (SQLite by default, PostgreSQL when `database.url` says so), migrates
to the newest revision and offers one repository per group of tables. Repositories return
domain objects (`Order`, `Fill`) or frozen records, never ORM objects.
"""

from scalpbot.store.database import Store
from scalpbot.store.engine import sqlite_url
from scalpbot.store.errors import RecordNotFound, StoreError
from scalpbot.store.migrate import head_revision
from scalpbot.store.records import (
    BacktestRunRecord,
    BrokerAccountRecord,
    EventRecord,
    PositionSnapshotRecord,
    StrategyRecord,
    TradingSessionRecord,
)

__all__ = [
    "BacktestRunRecord",
    "BrokerAccountRecord",
    "EventRecord",
    "PositionSnapshotRecord",
    "RecordNotFound",
    "Store",
    "StoreError",
    "StrategyRecord",
    "TradingSessionRecord",
    "head_revision",
    "sqlite_url",
]
