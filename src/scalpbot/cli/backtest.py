"""`scalpbot backtest`: run a strategy over a CSV or Parquet file and report."""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from scalpbot.backtest.report import write_report
from scalpbot.backtest.runner import BacktestConfig, run_backtest
from scalpbot.brokers.paper import PaperConfig
from scalpbot.cli.errors import fail, one_line_errors
from scalpbot.cli.options import home_option
from scalpbot.data import load_bars
from scalpbot.domain import Exchange, Instrument, InstrumentType, Product, parse_enum
from scalpbot.strategies import create_strategy
from scalpbot.strategies.params import parse_assignments

PROGRESS_MIN_BARS = 200_000


def _decimal(name: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        fail(f"--{name}: {text!r} is not a number")
        raise
    if not value.is_finite() or value <= 0:
        fail(f"--{name}: must be a positive number, got {text}")
    return value


@click.command("backtest")
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV or Parquet file of bars.",
)
@click.option("--strategy", required=True, help="Built-in name or path/to/file.py:ClassName.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Strategy parameter (repeatable).",
)
@click.option(
    "--quantity",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Quantity per entry (a multiple of the lot size).",
)
@click.option("--cash", default="100000", show_default=True, help="Starting cash in rupees.")
@click.option(
    "--charges",
    default="zerodha",
    show_default=True,
    type=click.Choice(["none", "zerodha"]),
    help="Charges model.",
)
@click.option(
    "--product",
    default="MIS",
    show_default=True,
    type=click.Choice(["MIS", "CNC", "NRML"], case_sensitive=False),
)
@click.option("--symbol", default=None, help="Instrument symbol (default: the file's name).")
@click.option(
    "--exchange",
    default="NSE",
    show_default=True,
    type=click.Choice([e.value for e in Exchange], case_sensitive=False),
)
@click.option(
    "--instrument-type",
    default="EQ",
    show_default=True,
    type=click.Choice([t.value for t in InstrumentType], case_sensitive=False),
)
@click.option("--tick-size", default="0.01", show_default=True, help="Price tick of the data.")
@click.option("--lot-size", default=1, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--slippage-ticks",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Adverse slippage on market and stop fills, in ticks.",
)
@click.option("--json", "json_out", default=None, help="Write results as JSON ('-' = stdout).")
@click.option("--report", "report_out", default=None, help="Write an HTML report here.")
@click.option("--save", is_flag=True, help="Also store the run in the home's database.")
@home_option
@one_line_errors
def backtest_command(
    data_path: str,
    strategy: str,
    params: tuple[str, ...],
    quantity: int,
    cash: str,
    charges: str,
    product: str,
    symbol: str | None,
    exchange: str,
    instrument_type: str,
    tick_size: str,
    lot_size: int,
    slippage_ticks: int,
    json_out: str | None,
    report_out: str | None,
    save: bool,
    home: Path,
) -> None:
    """Backtest a strategy on historical bars, with Indian charges."""
    strategy_obj = create_strategy(strategy, dict(parse_assignments(params)))
    series = load_bars(data_path)
    instrument = Instrument(
        parse_enum(Exchange, exchange),
        (symbol or Path(data_path).stem).upper(),
        parse_enum(InstrumentType, instrument_type),
        tick_size=_decimal("tick-size", tick_size),
        lot_size=lot_size,
    )
    config = BacktestConfig(
        instrument=instrument,
        cash=_decimal("cash", cash),
        quantity=quantity,
        charges=charges,
        product=parse_enum(Product, product),
        paper=PaperConfig(slippage_ticks=slippage_ticks),
    )
    bar = (
        tqdm(total=len(series), unit="bar", file=sys.stderr, disable=None, leave=False)
        if len(series) >= PROGRESS_MIN_BARS
        else None
    )
    try:
        result = run_backtest(
            series, strategy_obj, config, progress=bar.update if bar is not None else None
        )
    finally:
        if bar is not None:
            bar.close()
    document = result.to_json_dict()
    if json_out == "-":
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        if json_out:
            Path(json_out).write_text(json.dumps(document) + "\n", encoding="utf-8")
        _print_summary(document)
    if save:
        run_id = _save(home, document, str(Path(data_path).resolve()))
        click.echo(f"stored as backtest run {run_id}", err=json_out == "-")
    if report_out:
        path = write_report(result, report_out)
        print(f"report: {path}", file=sys.stderr if json_out == "-" else sys.stdout)


def _save(home: Path, document: dict[str, Any], data_source: str) -> int:
    """Record the run in the home's database (created and migrated if needed)."""
    from scalpbot.config import layout, load_settings
    from scalpbot.store import Store

    settings = load_settings(home)
    home.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.database_url(layout(home)))
    try:
        return store.backtests.add(
            document["strategy"],
            document["params"],
            data_source,
            document["metrics"],
            document["trades"],
            document,
        )
    finally:
        store.close()


def _print_summary(document: dict[str, Any]) -> None:
    metrics = document["metrics"]
    click.echo(
        f"{document['strategy']} {document['params']} on {document['instrument']}: "
        f"{document['bars']} bars, final equity {document['final_equity']:.2f}"
    )
    for name, value in metrics.items():
        shown = (
            "-" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value))
        )
        click.echo(f"  {name:<18}{shown:>14}")
