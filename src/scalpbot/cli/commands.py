"""The list of top-level commands, kept apart so adding one touches one line."""

from __future__ import annotations

import click

ALL: list[click.Command] = []
