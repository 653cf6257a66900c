"""`scalpbot admin`: managing who may use the dashboard.

    echo "$PASSWORD" | scalpbot admin set-password --username admin --password-stdin
    scalpbot admin set-password            # asks twice, without echoing

Creates the user or changes their password (an argon2 hash in the store; the password itself
is never stored, printed or logged). A change ends the user's open login sessions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scalpbot.cli.errors import fail, one_line_errors
from scalpbot.cli.options import home_option
from scalpbot.config import load_settings
from scalpbot.runtime.home_store import open_home_store


@click.group("admin")
def admin_command() -> None:
    """Dashboard users and passwords."""


@admin_command.command("set-password")
@home_option
@click.option("--username", default="admin", show_default=True, help="The dashboard user.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
@one_line_errors
def set_password_command(home: Path, username: str, password_stdin: bool) -> None:
    """Create a dashboard user or change their password."""
    from scalpbot.api.auth import set_user_password
    from scalpbot.api.security import check_password_rules

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("--password-stdin: standard input held no password")
    else:
        password = click.prompt(
            f"new password for {username}", hide_input=True, confirmation_prompt=True
        )
    check_password_rules(password)
    settings = load_settings(home)
    home.mkdir(parents=True, exist_ok=True)
    with open_home_store(settings, home) as store:
        user, ended = set_user_password(store, username, password)
    ended_text = f"; {ended} login session(s) ended" if ended else ""
    click.echo(f"password of dashboard user {user.username!r} set{ended_text}")
