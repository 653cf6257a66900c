"""Running Alembic from inside scalpbot: `upgrade head` at start and from `scalpbot db upgrade`.

The Alembic configuration is read from `alembic.ini` next to this file (never from the current
directory), and the migrations travel as package data, so this works from a checkout, from any
working directory and from an installed wheel. Alembic gets scalpbot's own connection, so SQLite
has its pragmas during migrations too.

Two processes starting at once (the runner and the API server) must not both create the tables:
PostgreSQL takes a transaction-level advisory lock, SQLite a write lock (BEGIN IMMEDIATE), before
the schema version is read. Alembic's `context`/`op` are process-wide, so within one process
migrations also take a plain lock.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, text

from scalpbot.store.engine import BEGIN_IMMEDIATE
from scalpbot.store.errors import StoreError

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
#: An arbitrary, fixed key for PostgreSQL's advisory lock around migrations.
MIGRATION_LOCK_KEY = 0x5CA1_B07
_IN_PROCESS = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """scalpbot's Alembic configuration, optionally bound to an open connection."""
    config = Config(str(ALEMBIC_INI))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration shipped with this version of scalpbot."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found next to {ALEMBIC_INI}")
    return head


def _is_shipped(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Bring the database to the newest revision (a no-op when it is there) and return it."""
    with _IN_PROCESS, engine.connect() as plain:
        connection = plain.execution_options(**{BEGIN_IMMEDIATE: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            known = MigrationContext.configure(connection).get_current_revision()
            if known is not None and not _is_shipped(known):
                raise StoreError(
                    f"the database is at revision {known!r}, which this version of scalpbot "
                    "does not know: it was migrated by a newer scalpbot; upgrade scalpbot"
                )
            command.upgrade(alembic_config(connection), "head")
            revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        raise RuntimeError("the database has no revision after upgrading it")
    return revision
