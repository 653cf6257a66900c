"""Click options shared by several commands.

`--home` is an option of each command that needs the home folder (not of the group), so it can
be written after the command name like every other option: `scalpbot init --home /srv/bot`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from scalpbot.config.home import DEFAULT_HOME, HOME_ENV, resolve_home

F = TypeVar("F", bound=Callable[..., Any])


def _resolve(ctx: click.Context, param: click.Parameter, value: str | None) -> Path:
    return resolve_home(value)


def home_option(func: F) -> F:
    """Add `--home DIR`; the command receives `home: Path`, already resolved (the option, else
    $SCALPBOT_HOME, else ~/.scalpbot) and absolute. The folder may not exist yet."""
    decorator = click.option(
        "--home",
        "home",
        default=None,
        metavar="DIR",
        callback=_resolve,
        help=f"Installation folder (default: ${HOME_ENV} or {DEFAULT_HOME}).",
    )
    return decorator(func)
