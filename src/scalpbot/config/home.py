"""The home folder: everything of one installation in one place.

`--home DIR`, else `$SCALPBOT_HOME`, else `~/.scalpbot` holds config.yaml, secrets.env (mode
0600), the SQLite database, downloaded data and logs. One folder per installation means a second
account or a test run is just another `--home`, and a backup is one copy.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scalpbot.config.files import SECRET_MODE, make_private, write_atomically
from scalpbot.config.template import default_config_text, secrets_template
from scalpbot.domain import ConfigError

HOME_ENV = "SCALPBOT_HOME"
DEFAULT_HOME = "~/.scalpbot"


def resolve_home(
    cli_home: str | Path | None = None, *, environ: Mapping[str, str] | None = None
) -> Path:
    """The home folder to use: `cli_home`, else $SCALPBOT_HOME, else ~/.scalpbot, made absolute
    with `~` expanded. Does not create it (`init_home` does)."""
    env = os.environ if environ is None else environ
    chosen: str | Path = DEFAULT_HOME
    if cli_home is not None and str(cli_home).strip():
        chosen = cli_home
    elif env.get(HOME_ENV, "").strip():
        chosen = env[HOME_ENV].strip()
    return Path(chosen).expanduser().absolute()


@dataclass(frozen=True)
class HomeLayout:
    """Where each file of an installation lives, given its home folder."""

    root: Path
    config_file: Path
    secrets_file: Path
    database_file: Path
    data_dir: Path
    logs_dir: Path
    intents_dir: Path  # new orders' intent lines, for a database that is not a local file


def layout(home: Path) -> HomeLayout:
    root = Path(home)
    return HomeLayout(
        root=root,
        config_file=root / "config.yaml",
        secrets_file=root / "secrets.env",
        database_file=root / "scalpbot.db",
        data_dir=root / "data",
        logs_dir=root / "logs",
        intents_dir=root / "intents",
    )


def init_home(home: Path, *, force: bool = False) -> HomeLayout:
    """Create the home: its folders, a commented default config.yaml and a private secrets.env.

    An existing config.yaml is refused unless `force` (then the old one is kept as
    config.yaml.bak). An existing secrets.env is never overwritten, only made private (0600) if
    group or others could read it.
    """
    paths = layout(home)
    if paths.config_file.exists() and not force:
        raise ConfigError(
            f"{paths.config_file} already exists; edit it, or run `scalpbot init --force` to "
            "replace it with the defaults (the old file is kept as config.yaml.bak)"
        )
    for folder in (paths.root, paths.data_dir, paths.logs_dir):
        _make_folder(folder)
    if paths.config_file.exists():
        backup = paths.config_file.with_name("config.yaml.bak")
        try:
            shutil.copyfile(paths.config_file, backup)
        except OSError as exc:
            raise ConfigError(f"cannot back up {paths.config_file}: {exc.strerror}") from exc
    write_atomically(paths.config_file, default_config_text())
    if paths.secrets_file.exists():
        make_private(paths.secrets_file)
    else:
        write_atomically(paths.secrets_file, secrets_template(), mode=SECRET_MODE)
    return paths


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"{folder} exists but is not a folder") from None
    except OSError as exc:
        raise ConfigError(f"cannot create {folder}: {exc.strerror or exc}") from exc
