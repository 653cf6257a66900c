"""`scalpbot db upgrade` and `scalpbot db current`, run as a user runs them: a new process,
started from an unrelated working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scalpbot.store import Store, head_revision, sqlite_url
from store_support import postgres_database


def scalpbot(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    environment.pop("SCALPBOT_HOME", None)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "scalpbot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_creates_the_database_of_a_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()

    missing = scalpbot("db", "current", "--home", str(home), cwd=elsewhere)
    assert missing.returncode == 2
    assert "no database at" in missing.stderr and "scalpbot db upgrade" in missing.stderr
    assert not home.exists()

    first = scalpbot("db", "upgrade", "--home", str(home), cwd=elsewhere)
    assert first.returncode == 0, first.stderr
    assert (home / "scalpbot.db").is_file()
    assert f"upgraded from an empty database to revision {head_revision()} (head)" in first.stdout
    assert list(elsewhere.iterdir()) == []

    second = scalpbot("db", "upgrade", "--home", str(home), cwd=elsewhere)
    assert second.returncode == 0, second.stderr
    assert f"already at revision {head_revision()} (head)" in second.stdout

    current = scalpbot("db", "current", cwd=elsewhere, env={"SCALPBOT_HOME": str(home)})
    assert current.returncode == 0, current.stderr
    assert current.stdout.strip() == f"{head_revision()} (head)"
    with Store.open(sqlite_url(home / "scalpbot.db"), upgrade=False) as store:
        assert store.revision() == head_revision()


def test_db_upgrade_follows_the_database_url_of_the_home_config(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    target = tmp_path / "shared" / "trading.db"
    (home / "config.yaml").write_text(f"database:\n  url: {sqlite_url(target)}\n")
    done = scalpbot("db", "upgrade", "--home", str(home), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert target.is_file()
    assert not (home / "scalpbot.db").exists()


def test_db_upgrade_of_a_url(tmp_path: Path) -> None:
    with postgres_database() as url:
        done = scalpbot("db", "upgrade", "--url", url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"revision {head_revision()} (head)" in done.stdout
        current = scalpbot("db", "current", "--url", url, cwd=tmp_path)
        assert current.stdout.strip() == f"{head_revision()} (head)"


def test_db_upgrade_names_a_bad_url(tmp_path: Path) -> None:
    done = scalpbot("db", "upgrade", "--url", "mysql://x@y/z", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: database url 'mysql://x@y/z'")
    assert "Traceback" not in done.stderr
