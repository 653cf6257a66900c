"""`Store`: scalpbot's database behind one object.

    store = Store.open("sqlite:////home/me/.scalpbot/scalpbot.db")   # migrates to the newest
    session_id = store.sessions.create("paper", "paper", strategies, config)
    store.orders.save(order, session_id)       # journal first: before the order is sent
    store.close()

Every repository method is one transaction of its own: it commits when it returns and leaves
nothing behind when it raises. Driver errors come out as `StoreError`, saying what was being
done. `store.session()` gives a raw SQLAlchemy session (one transaction) for the rare caller
that needs several tables in one commit.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from scalpbot.store import migrate
from scalpbot.store.engine import BEGIN_IMMEDIATE, create_store_engine, is_memory, parse_url
from scalpbot.store.errors import StoreError
from scalpbot.store.intent_log import fold_orphans
from scalpbot.store.prepared import driver_transaction
from scalpbot.store.repositories import (
    ApiTokenRepository,
    BacktestRepository,
    BrokerAccountRepository,
    EventRepository,
    FillRepository,
    LoginSessionRepository,
    OrderRepository,
    PaperStateRepository,
    PositionRepository,
    SessionRepository,
    SettingsRepository,
    StrategyRepository,
    UserRepository,
)
from scalpbot.store.wal import WalCheckpointer

log = logging.getLogger(__name__)


def _reason(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc)
    return " ".join(text.split())


class Store:
    """The database and its repositories (see the module docstring)."""

    def __init__(self, engine: Engine, *, intents_dir: Path | None = None) -> None:
        self._engine = engine
        self.intents_dir = intents_dir
        self._checkpointer: WalCheckpointer | None = None
        url = engine.url
        if url.get_backend_name() == "sqlite" and not is_memory(url):
            self._checkpointer = WalCheckpointer(str(url.database))
            self._checkpointer.start()
        self._readers = sessionmaker(engine, expire_on_commit=False)
        self._writers = sessionmaker(
            engine.execution_options(**{BEGIN_IMMEDIATE: True}), expire_on_commit=False
        )
        self.sessions = SessionRepository(self._write, self._read)
        self.orders = OrderRepository(
            self._write, self._read, functools.partial(driver_transaction, engine), intents_dir
        )
        self.fills = FillRepository(self._write, self._read)
        self.positions = PositionRepository(self._write, self._read)
        self.backtests = BacktestRepository(self._write, self._read)
        self.strategies = StrategyRepository(self._write, self._read)
        self.settings = SettingsRepository(self._write, self._read)
        self.broker_accounts = BrokerAccountRepository(self._write, self._read)
        self.events = EventRepository(self._write, self._read)
        self.paper_state = PaperStateRepository(self._write, self._read)
        self.users = UserRepository(self._write, self._read)
        self.api_tokens = ApiTokenRepository(self._write, self._read)
        self.login_sessions = LoginSessionRepository(self._write, self._read)

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True, intents_dir: Path | None = None) -> Store:
        """Connect to `url` (sqlite:///PATH or postgresql://...) and, unless `upgrade` is
        False, migrate it to the newest revision and fold in the order intents of processes
        that died (`intent_log`). A SQLite file's folder is created.

        New orders are journaled to intent files in `intents_dir`: by default a folder beside
        a SQLite file (`scalpbot.db-intents/`); a PostgreSQL or in-memory store has none unless
        given one, and journals straight to the database."""
        parsed = parse_url(url)
        shown = parsed.render_as_string(hide_password=True)
        if intents_dir is None and parsed.get_backend_name() == "sqlite" and not is_memory(parsed):
            intents_dir = Path(f"{Path(str(parsed.database)).expanduser().resolve()}-intents")
        engine = create_store_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            if upgrade:
                migrate.upgrade(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"cannot open the database {shown}: {_reason(exc)}") from exc
        except BaseException:
            engine.dispose()
            raise
        store = cls(engine, intents_dir=intents_dir)
        if upgrade and intents_dir is not None:
            try:
                folded = fold_orphans(intents_dir, store.orders.fold)
            except BaseException:
                store.close()
                raise
            if folded:
                log.warning("folded %d order intents left by a stopped process", folded)
        return store

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def url(self) -> str:
        """The database URL with any password masked (fit for logs and the dashboard)."""
        return self._engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """The backend: "sqlite" or "postgresql"."""
        return self._engine.dialect.name

    def upgrade(self) -> str:
        """Migrate to the newest revision (a no-op when there) and return the revision."""
        try:
            return migrate.upgrade(self._engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"migrating {self.url} failed: {_reason(exc)}") from exc

    def revision(self) -> str | None:
        """The revision the database is at; None if it was never migrated."""
        try:
            return migrate.current_revision(self._engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"reading the revision of {self.url}: {_reason(exc)}") from exc

    def close(self) -> None:
        """Close every pooled connection; the store is not used afterwards."""
        self.orders.close_intents()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: commits when the block ends, rolls back if it raises."""
        with self._write("a store transaction") as db:
            yield db

    @contextmanager
    def _write(self, what: str) -> Iterator[Session]:
        with _transaction(self._writers, what) as db:
            yield db

    @contextmanager
    def _read(self, what: str) -> Iterator[Session]:
        with _transaction(self._readers, what) as db:
            yield db


@contextmanager
def _transaction(sessions: sessionmaker[Session], what: str) -> Iterator[Session]:
    try:
        with sessions() as db, db.begin():
            yield db
    except SQLAlchemyError as exc:
        raise StoreError(f"{what} failed: {_reason(exc)}") from exc
