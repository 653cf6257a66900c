"""Turning a `database.url` into a SQLAlchemy engine set up for scalpbot.

SQLite is the default (one file in the scalpbot home) and gets the settings a trading journal
needs: WAL (the dashboard reads while the runner writes), foreign keys ON (SQLite's default is
OFF), a busy timeout (wait for a writer instead of failing at once) and synchronous=NORMAL (safe
with WAL, much faster than FULL). Python's sqlite3 module starts transactions lazily, at the
first INSERT/UPDATE, which leaves reads before it and DDL outside the transaction; so the driver
is put in autocommit mode and the engine emits BEGIN itself, making every repository call and
every migration one real transaction.

PostgreSQL goes through psycopg 3: a bare `postgresql://` URL (which SQLAlchemy would send to
psycopg2) is pointed at it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from scalpbot.store.errors import StoreError

#: Execution option: start this connection's transactions with BEGIN IMMEDIATE (SQLite), so a
#: migration takes the write lock before it reads the schema version.
BEGIN_IMMEDIATE = "scalpbot_begin_immediate"

SQLITE_BUSY_TIMEOUT_MS = 10_000
SUPPORTED = "sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE"


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite database file (the default store is `<home>/scalpbot.db`)."""
    return URL.create("sqlite", database=str(path.expanduser().resolve())).render_as_string()


def parse_url(url: str) -> URL:
    """`url` checked and normalised; a `StoreError` says what is wrong with it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"database url {url!r} is not a URL; expected {SUPPORTED}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        shown = parsed.render_as_string(hide_password=True)
        raise StoreError(f"database url {shown!r}: {backend} is not supported; use {SUPPORTED}")
    return parsed


def is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in str(url.query.get("mode", ""))


def create_store_engine(url: str) -> Engine:
    """An engine for `url` (SQLite file or memory, or PostgreSQL) with scalpbot's settings."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    memory = is_memory(parsed)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool  # one connection, or each would see its own database
    else:
        Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **kwargs)
    _tune_sqlite(engine, wal=not memory)
    return engine


def _tune_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # autocommit: BEGIN is ours (see above)
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA wal_autocheckpoint=0")  # done off the order path: wal.py
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(BEGIN_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
