"""`scalpbot backtest`: run a strategy over a CSV or Parquet file and report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from scalpbot.backtest.report import write_report
from scalpbot.backtest.runner import run_backtest
from scalpbot.cli.backtest_setup import BacktestSetup, backtest_setup_options, home_store
from scalpbot.cli.errors import one_line_errors
from scalpbot.cli.options import home_option
from scalpbot.data import load_bars
from scalpbot.strategies import create_strategy

PROGRESS_MIN_BARS = 200_000


@click.command("backtest")
@backtest_setup_options
@click.option("--json", "json_out", default=None, help="Write results as JSON ('-' = stdout).")
@click.option("--report", "report_out", default=None, help="Write an HTML report here.")
@click.option("--save", is_flag=True, help="Also store the run in the home's database.")
@home_option
@one_line_errors
def backtest_command(
    setup: BacktestSetup,
    json_out: str | None,
    report_out: str | None,
    save: bool,
    home: Path,
) -> None:
    """Backtest a strategy on historical bars, with Indian charges."""
    strategy_obj = create_strategy(setup.strategy, dict(setup.fixed_params()))
    series = load_bars(setup.data_path)
    config = setup.config()
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
        run_id = _save(home, document, str(Path(setup.data_path).resolve()))
        click.echo(f"stored as backtest run {run_id}", err=json_out == "-")
    if report_out:
        path = write_report(result, report_out)
        print(f"report: {path}", file=sys.stderr if json_out == "-" else sys.stdout)


def _save(home: Path, document: dict[str, Any], data_source: str) -> int:
    """Record the run in the home's database (created and migrated if needed)."""
    with home_store(home) as store:
        return store.backtests.add(
            document["strategy"],
            document["params"],
            data_source,
            document["metrics"],
            document["trades"],
            document,
        )


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
