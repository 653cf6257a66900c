"""`scalpbot run`: a paper (or live) trading session, headless, until stopped or the data ends."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from scalpbot.cli.errors import one_line_errors
from scalpbot.cli.options import home_option
from scalpbot.config import AlertsSettings, load_settings, resolve_home
from scalpbot.domain import ConfigError
from scalpbot.runtime.alerts_wiring import session_alerts
from scalpbot.runtime.factory import RunOptions
from scalpbot.runtime.home_store import open_home_store
from scalpbot.runtime.live_factory import SessionParts, build_parts, open_session
from scalpbot.runtime.session import install_signal_handlers
from scalpbot.runtime.status import StatusPrinter
from scalpbot.store import Store
from scalpbot.strategies.params import parse_assignments


def parse_speed(text: str) -> float | None:
    if text.lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"--speed {text!r}: a positive number or 'max'") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"--speed {text!r}: a positive number or 'max'")
    return value


@click.command("run")
@home_option
@click.option(
    "--strategy",
    default=None,
    help="Built-in name or file.py:Class (default: trading.strategies from the config).",
)
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE")
@click.option(
    "--mode", type=click.Choice(["paper", "live"]), default=None, help="Default: trading.mode."
)
@click.option("--broker", default=None, help="Default: broker.name.")
@click.option(
    "--feed",
    type=click.Choice(["broker", "replay", "simulated"]),
    default="simulated",
    show_default=True,
)
@click.option("--data", "data_path", default=None, help="Bars to replay (with --feed replay).")
@click.option(
    "--speed",
    default="1",
    show_default=True,
    help="Times real time, or 'max' for as fast as possible.",
)
@click.option("--symbol", default=None, help="Replay: the instrument's symbol.")
@click.option("--exchange", default="NSE", show_default=True, help="Replay: its exchange.")
@click.option("--tick-size", default="0.01", show_default=True, help="Replay: its tick.")
@click.option("--lot-size", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=7, show_default=True, type=int, help="Simulated market seed.")
@click.option(
    "--charges", default="zerodha", show_default=True, type=click.Choice(["none", "zerodha"])
)
@click.option("--json", "json_out", default=None, help="Write the session report as JSON.")
@click.option("--resume", is_flag=True, help="Continue the last unfinished identical session.")
@click.option("--quiet", is_flag=True, help="No status line.")
@one_line_errors
def run_command(
    home: str | None,
    strategy: str | None,
    params: tuple[str, ...],
    mode: str | None,
    broker: str | None,
    feed: str,
    data_path: str | None,
    speed: str,
    symbol: str | None,
    exchange: str,
    tick_size: str,
    lot_size: int,
    seed: int,
    charges: str,
    json_out: str | None,
    resume: bool,
    quiet: bool,
) -> None:
    """Run a trading session until Ctrl-C (or the replayed data ends)."""
    root = resolve_home(home)
    settings = load_settings(root)
    options = RunOptions(
        strategy=strategy,
        params=dict(parse_assignments(params)),
        mode=mode,
        broker=broker,
        feed=feed,
        data=data_path,
        speed=parse_speed(speed),
        symbol=symbol,
        exchange=exchange,
        tick_size=tick_size,
        lot_size=lot_size,
        seed=seed,
        charges=charges,
    )
    root.mkdir(parents=True, exist_ok=True)
    parts = build_parts(settings, options, root)
    store = open_home_store(settings, root)
    printer = None if quiet else StatusPrinter()
    try:
        report = asyncio.run(_run(parts, store, resume, printer, settings.alerts))
    finally:
        if printer is not None:
            printer.close()
        store.close()
    if json_out:
        text = json.dumps(report, indent=2) + "\n"
        if json_out == "-":
            sys.stdout.write(text)
        else:
            Path(json_out).write_text(text, encoding="utf-8")
    click.echo(
        f"session {report['session_id']} {report['status']}: {len(report['trades'])} trades, "
        f"net P&L {report['metrics']['net_pnl']}, final equity {report['final_equity']:.2f}",
        err=json_out == "-",
    )


async def _run(
    parts: SessionParts,
    store: Store,
    resume: bool,
    printer: StatusPrinter | None,
    alerts: AlertsSettings | None = None,
) -> dict[str, Any]:
    session = open_session(parts, store, resume=resume, status=printer)
    remove = install_signal_handlers(session)
    try:
        async with session_alerts(session, alerts or AlertsSettings()):
            return await session.run()
    finally:
        remove()
