"""The database itself: migrations match the models, run twice safely, ship with the package;
SQLite runs in WAL mode with foreign keys on; bad URLs are refused by name."""

from __future__ import annotations

import os
import re
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import scalpbot
from scalpbot.store import Store, StoreError, head_revision, sqlite_url
from scalpbot.store.migrate import alembic_config
from scalpbot.store.models import Base

pytest_plugins = ["store_fixtures"]

PACKAGE = Path(scalpbot.__file__).parent
PYPROJECT = PACKAGE.parent.parent / "pyproject.toml"


def test_the_migrated_schema_matches_the_models(store: Store) -> None:
    """A model changed without a migration (or the reverse) fails here."""
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrading_twice_changes_nothing(store_url: str) -> None:
    with Store.open(store_url, upgrade=False) as store:
        assert store.revision() is None
        assert store.upgrade() == head_revision()
        tables = set(inspect(store.engine).get_table_names())
        session = store.sessions.create("paper", "paper", [], {}, None, "k")
    with Store.open(store_url) as again:  # upgrade at start: a no-op now
        assert again.revision() == head_revision()
        assert again.upgrade() == head_revision()
        assert set(inspect(again.engine).get_table_names()) == tables
        assert again.sessions.get(session) is not None
    assert {"orders", "order_status_history", "fills", "paper_states", "alembic_version"} <= tables


def test_migrations_downgrade_cleanly_and_upgrade_again(store_url: str) -> None:
    with Store.open(store_url) as store:
        with store.engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
        assert store.revision() is None
        assert store.upgrade() == head_revision()
        assert store.sessions.create("paper", "paper", [], {}, None, None) == 1


def test_a_database_of_a_newer_scalpbot_is_refused(store_url: str) -> None:
    with Store.open(store_url) as store, store.session() as db:
        db.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    with pytest.raises(StoreError, match=r"revision 'f00dcafe'.*migrated by a newer scalpbot"):
        Store.open(store_url)


def test_processes_starting_together_migrate_once(store_url: str) -> None:
    """The runner and the API server may open a fresh database at the same moment."""

    def open_and_report(_: int) -> str | None:
        with Store.open(store_url) as store:
            return store.revision()

    with ThreadPoolExecutor(max_workers=4) as pool:
        revisions = list(pool.map(open_and_report, range(4)))
    assert revisions == [head_revision()] * 4


def test_a_store_opens_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Alembic's configuration is found by the package's path, never the working directory."""
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    with Store.open(sqlite_url(tmp_path / "deep" / "home" / "scalpbot.db")) as store:
        assert store.revision() == head_revision()
    assert (tmp_path / "deep" / "home" / "scalpbot.db").is_file()
    assert os.listdir(elsewhere) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    with Store.open(sqlite_url(tmp_path / "scalpbot.db")) as store:
        assert store.dialect == "sqlite"
        with store.engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
        assert (tmp_path / "scalpbot.db-wal").exists()  # while connections are open
    # synchronous 1 is NORMAL
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 10_000,
        "synchronous": 1,
    }


def test_an_in_memory_sqlite_store_works(tmp_path: Path) -> None:
    with Store.open("sqlite://") as store:
        sid = store.sessions.create("backtest", "paper", [], {}, None, None)
        assert store.sessions.get(sid) is not None
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_store_session_commits_or_rolls_back(store: Store) -> None:
    sid = store.sessions.create("paper", "paper", [], {}, None, None)
    with pytest.raises(RuntimeError), store.session() as db:
        db.execute(text("UPDATE trading_sessions SET status = 'x' WHERE id = :id"), {"id": sid})
        raise RuntimeError("abandon")
    record = store.sessions.get(sid)
    assert record is not None and record.status == "running"
    with store.session() as db:
        db.execute(text("UPDATE trading_sessions SET status = 'y' WHERE id = :id"), {"id": sid})
    record = store.sessions.get(sid)
    assert record is not None and record.status == "y"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a URL; expected sqlite:///PATH or postgresql://"),
        ("mysql://user@host/db", "mysql is not supported"),
        ("postgresql://postgres:hunter2@127.0.0.1:1/none", "cannot open the database"),
    ],
)
def test_bad_urls_are_refused_by_name(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as caught:
        Store.open(url)
    assert "hunter2" not in str(caught.value)


def test_the_migrations_ship_as_package_data() -> None:
    """Every file Alembic needs matches a package-data pattern, so a wheel carries it."""
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]
    patterns = patterns["scalpbot"]
    store = PACKAGE / "store"
    needed = [store / "alembic.ini", store / "migrations" / "script.py.mako"]
    needed += [p for p in (store / "migrations").rglob("*.py")]
    assert len(needed) >= 4
    for path in needed:
        relative = path.relative_to(PACKAGE).as_posix()
        assert any(_glob_matches(relative, pattern) for pattern in patterns), relative


def _glob_matches(path: str, pattern: str) -> bool:
    """setuptools' glob: `*` stays within one folder, `**/` spans any number of them."""
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
    return re.fullmatch(regex, path) is not None
