"""`scalpbot init`: create an installation's home folder with a commented default config.

It says what it created and what it left alone, and what to do next, so a first-time user is
never left guessing where the settings went.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from scalpbot.cli.errors import one_line_errors
from scalpbot.cli.options import home_option
from scalpbot.config.home import init_home, layout, resolve_home

#: What to try once the home exists: a paper session on the simulated market.
RUN_COMMAND = "scalpbot run"


def next_command(home: Path) -> str:
    """The command to suggest, with `--home` when the home is not the default one."""
    if home == resolve_home(None, environ={}):
        return RUN_COMMAND
    return f"{RUN_COMMAND} --home {shlex.quote(str(home))}"


@click.command("init")
@home_option
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing config.yaml with the defaults (the old one is kept as "
    "config.yaml.bak). secrets.env is never overwritten.",
)
@one_line_errors
def init_command(home: Path, force: bool) -> None:
    """Create the home folder: config.yaml, secrets.env (mode 0600), data/ and logs/."""
    paths = layout(home)
    entries = [paths.config_file, paths.secrets_file, paths.data_dir, paths.logs_dir]
    existed = {path: path.exists() for path in entries}
    init_home(home, force=force)
    click.echo(f"scalpbot home: {paths.root}")
    for path in entries:
        if not existed[path]:
            status = "created"
        elif path == paths.config_file:
            status = "replaced (the old one is config.yaml.bak)"
        elif path == paths.secrets_file:
            status = "kept (mode 0600)"
        else:
            status = "exists"
        click.echo(f"  {path.name:<12} {status}")
    click.echo("Next:")
    click.echo(f"  edit {paths.config_file} (every key is commented),")
    click.echo(f"  put broker credentials in {paths.secrets_file},")
    click.echo(f"  then try: {next_command(paths.root)}")
