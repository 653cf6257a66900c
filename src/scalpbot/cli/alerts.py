"""`scalpbot alerts test`: prove each enabled alert channel works before the market needs it.

Sends "scalpbot test message" on every enabled channel and prints one line per channel, e.g.

    telegram: sent
    email: failed: SMTP login refused (535 ...); check alerts.email.username ...

Exit status 0 when every enabled channel worked, 1 otherwise (including when none is enabled:
a test that sends nothing proves nothing).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from scalpbot.alerts import AlertService
from scalpbot.cli.errors import one_line_errors
from scalpbot.cli.options import home_option
from scalpbot.config import AlertsSettings, layout, load_settings


@click.group("alerts")
def alerts_command() -> None:
    """Alert channels: Telegram and e-mail."""


async def _send_test(settings: AlertsSettings) -> dict[str, str]:
    service = AlertService(settings)
    try:
        return await service.send_test()
    finally:
        await service.stop(timeout_s=1.0)


@alerts_command.command("test")
@home_option
@one_line_errors
def test_command(home: Path) -> None:
    """Send a test message on every enabled channel and report each result."""
    settings = load_settings(home)
    if not settings.alerts.enabled_channels():
        click.echo(
            "no alert channel is enabled: set alerts.telegram.enabled or alerts.email.enabled "
            f"to true in {layout(home).config_file}"
        )
        raise SystemExit(1)
    results = asyncio.run(_send_test(settings.alerts))
    for channel, result in results.items():
        click.echo(f"{channel}: {result}")
    raise SystemExit(0 if all(r == "sent" for r in results.values()) else 1)
