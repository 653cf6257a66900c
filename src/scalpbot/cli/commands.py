"""The list of top-level commands, kept apart so adding one touches one line."""

from __future__ import annotations

import click

from scalpbot.cli.backtest import backtest_command
from scalpbot.cli.charges import charges_command

ALL: list[click.Command] = [backtest_command, charges_command]
