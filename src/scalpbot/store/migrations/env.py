"""Alembic's entry point for scalpbot's store.

scalpbot runs migrations itself (`scalpbot.store.migrate`), handing Alembic an open connection
in `config.attributes["connection"]` so SQLite gets the same pragmas and transaction handling as
the application. The `alembic` command line is for developers: it opens its own connection from
`-x url=...` (see the comment in alembic.ini).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from scalpbot.store.engine import create_store_engine
from scalpbot.store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
        user_module_prefix="scalpbot.store.types.",
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database with -x url=sqlite:///path or -x url=postgresql://...")
    return url


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    if context.is_offline_mode():
        context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_store_engine(_url())
    try:
        with engine.connect() as own_connection:
            _configure(own_connection)
            own_connection.commit()
    finally:
        engine.dispose()


run()
