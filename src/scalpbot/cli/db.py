"""`scalpbot db upgrade|current`: migrate the database, or say which revision it is at.

Sessions migrate their database themselves when they start; these commands are for doing it
ahead of time (before a deployment, on a PostgreSQL server shared by several installs) and for
checking. The database is `--url` if given, else the home's `database.url` setting, else the
SQLite file in the home (`--home`, else $SCALPBOT_HOME, else ~/.scalpbot).
"""

from __future__ import annotations

from pathlib import Path

import click

from scalpbot.cli.errors import fail, one_line_errors
from scalpbot.config.home import layout, resolve_home
from scalpbot.config.loading import load_settings
from scalpbot.store import Store, head_revision
from scalpbot.store.engine import is_memory, parse_url

home_option = click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The scalpbot home folder (default: $SCALPBOT_HOME, else ~/.scalpbot).",
)
url_option = click.option(
    "--url",
    default=None,
    metavar="URL",
    help="A database URL (sqlite:///PATH or postgresql://USER@HOST/DB) instead of the home's.",
)


def database_url(home: Path | None, url: str | None) -> str:
    """`url`, else the home's configured `database.url`, else the home's SQLite file."""
    if url is not None and url.strip():
        return url.strip()
    folder = resolve_home(home)
    return load_settings(folder).database_url(layout(folder))


def _describe(revision: str | None) -> str:
    if revision is None:
        return "none (never migrated)"
    return f"{revision} (head)" if revision == head_revision() else f"{revision} (head is newer)"


@click.group("db")
def db_command() -> None:
    """The database: migrate it to this version of scalpbot, or show its revision."""


@db_command.command("upgrade")
@home_option
@url_option
@one_line_errors
def upgrade_command(home: Path | None, url: str | None) -> None:
    """Create the database or migrate it to the newest revision (safe to run again)."""
    target = database_url(home, url)
    with Store.open(target, upgrade=False) as store:
        before = store.revision()
        after = store.upgrade()
        if before == after:
            click.echo(f"{store.url} is already at revision {_describe(after)}")
        else:
            start = "an empty database" if before is None else f"revision {before}"
            click.echo(f"{store.url} upgraded from {start} to revision {_describe(after)}")


@db_command.command("current")
@home_option
@url_option
@one_line_errors
def current_command(home: Path | None, url: str | None) -> None:
    """Print the revision the database is at (without changing anything)."""
    target = database_url(home, url)
    parsed = parse_url(target)
    if parsed.get_backend_name() == "sqlite" and not is_memory(parsed):
        path = Path(str(parsed.database)).expanduser()
        if not path.exists():
            fail(f"no database at {path}; create it with `scalpbot db upgrade`")
    with Store.open(target, upgrade=False) as store:
        click.echo(_describe(store.revision()))
