"""`scalpbot login BROKER`: the broker's daily login from a terminal.

Kite Connect (and brokers like it) log in through their own web page, which redirects to the
app's redirect URL with a one-time request token. The command prints the login address, then
takes the address the browser was redirected to (pasted at the prompt, or `--url`), exchanges
its token for the day's access token and keeps that (mode 0600) in the home's tokens folder,
where `scalpbot run --mode live` and the dashboard find it.
"""

from __future__ import annotations

from pathlib import Path

import click

from scalpbot.cli.errors import one_line_errors
from scalpbot.cli.options import home_option
from scalpbot.config import load_settings
from scalpbot.runtime.broker_access import (
    LIVE_BROKERS,
    complete_login,
    login_status,
    login_url,
    with_broker,
)


@click.command("login")
@click.argument("broker", type=click.Choice(LIVE_BROKERS))
@home_option
@click.option(
    "--url",
    "redirected",
    default=None,
    metavar="URL",
    help="The address the login page redirected to (or just its request_token); asked for "
    "when not given.",
)
@one_line_errors
def login_command(broker: str, home: Path, redirected: str | None) -> None:
    """Log in to BROKER for the day and keep the access token for live sessions."""
    settings = with_broker(load_settings(home), broker)
    if redirected is None:
        click.echo("Open this address in a browser and log in:")
        click.echo(f"  {login_url(settings, home)}")
        redirected = click.prompt(
            "Then paste the address you were redirected to", prompt_suffix=":\n> "
        )
    profile = complete_login(settings, home, redirected.strip())
    status = login_status(settings, home)
    until = f" until {status.expires_at:%Y-%m-%d %H:%M %Z}" if status.expires_at else ""
    name = f" ({profile.user_name})" if profile.user_name else ""
    click.echo(f"logged in to {broker} as {profile.user_id}{name}; token kept{until}")
