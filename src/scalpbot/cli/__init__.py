"""The `scalpbot` command line: one click group, one module per command family."""

from __future__ import annotations

import click

from scalpbot import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scalpbot")
def main() -> None:
    """scalpbot: backtest, paper-trade and live-trade intraday strategies on Indian markets."""


def _register() -> None:
    """Attach every command module; each defines one click command or group."""
    from scalpbot.cli import commands

    for command in commands.ALL:
        main.add_command(command)


_register()
