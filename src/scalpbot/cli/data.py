"""`scalpbot data download`: historical bars from the configured broker into a Parquet file,
ready for `scalpbot backtest --data FILE` and `scalpbot run --feed replay --data FILE`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from scalpbot.cli.errors import one_line_errors
from scalpbot.cli.options import home_option
from scalpbot.config import load_settings
from scalpbot.data.download import download_bars
from scalpbot.domain import IST
from scalpbot.runtime.broker_access import open_broker

INTERVALS = ("minute", "3minute", "5minute", "10minute", "15minute", "30minute", "60minute", "day")


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not a date (YYYY-MM-DD[ HH:MM])") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=IST)


@click.group("data")
def data_command() -> None:
    """Historical market data."""


@data_command.command("download")
@home_option
@click.option("--symbol", "key", required=True, help="Instrument as EXCHANGE:SYMBOL.")
@click.option("--interval", default="minute", show_default=True, type=click.Choice(INTERVALS))
@click.option("--from", "start", required=True, help="First day (IST), YYYY-MM-DD[ HH:MM].")
@click.option("--to", "end", required=True, help="Last moment (IST), YYYY-MM-DD[ HH:MM].")
@click.option(
    "--out", default=None, help="Parquet file (default: <home>/data/<SYMBOL>-<interval>.parquet)."
)
@one_line_errors
def download_command(
    home: Path, key: str, interval: str, start: str, end: str, out: str | None
) -> None:
    """Download bars of one instrument through the configured broker and save them as Parquet."""
    settings = load_settings(home)
    broker = open_broker(settings, home)
    symbol = key.partition(":")[2] or key
    target = Path(out) if out else home / "data" / f"{symbol}-{interval}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        series = download_bars(broker, key, interval, _moment(start), _moment(end), target)
    finally:
        broker.close()
    click.echo(f"{len(series)} {interval} bars of {key} saved to {target}")
