"""The `scalpbot` command line: one click group, one module per command family."""

from __future__ import annotations

import importlib

import click

from scalpbot import __version__
from scalpbot.cli.commands import COMMANDS


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (see `commands.COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scalpbot")
def main() -> None:
    """scalpbot: backtest, paper-trade and live-trade intraday strategies on Indian markets."""
