"""`scalpbot optimize`: sweep a strategy's parameters over a data file and rank the backtests.

Every option of `scalpbot backtest` works the same here (`--param` fixes a parameter); `--space`
says what to sweep. See docs/optimize.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import cast

import click

from scalpbot.backtest.optimize import optimise
from scalpbot.backtest.optimize_optuna import StudyStorage, home_storage
from scalpbot.backtest.optimize_run import OBJECTIVES, SweepJob
from scalpbot.backtest.optimize_search import METHODS, Method, SearchSettings
from scalpbot.backtest.optimize_space import (
    bind_fixed,
    bind_space,
    parse_space_item,
    strategy_space,
)
from scalpbot.cli.backtest_setup import BacktestSetup, backtest_setup_options
from scalpbot.cli.errors import fail, one_line_errors
from scalpbot.cli.optimize_output import TqdmProgress, print_outcome, save_trials
from scalpbot.cli.options import home_option
from scalpbot.data import load_bars
from scalpbot.domain import ConfigError
from scalpbot.strategies import SearchRange, load_strategy_class

__all__ = ["optimize_command"]


def _spaces(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> list[tuple[str, SearchRange]]:
    """Parse each --space now, so a typo is a usage error naming the bad part."""
    parsed: list[tuple[str, SearchRange]] = []
    for item in value:
        try:
            parsed.append(parse_space_item(item))
        except ConfigError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return parsed


def _scheduler(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and "://" not in value:
        raise click.BadParameter(f"{value!r}: expected an address like tcp://HOST:8786")
    return value


@click.command("optimize")
@backtest_setup_options
@click.option(
    "--space",
    "spaces",
    multiple=True,
    metavar="NAME=LO..HI:STEP|NAME=A,B,C",
    callback=_spaces,
    help="Values to sweep for a parameter (repeatable; default: the strategy's search_space).",
)
@click.option(
    "--method",
    default="grid",
    show_default=True,
    type=click.Choice(METHODS),
    help="grid: every combination; random: --trials distinct samples; optuna: a TPE study.",
)
@click.option(
    "--trials",
    default=None,
    type=click.IntRange(min=1),
    help="random/optuna: how many trials (default 100); grid: refuse a larger grid.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of random/optuna.")
@click.option(
    "--objective",
    default="net_pnl",
    show_default=True,
    type=click.Choice(list(OBJECTIVES)),
    help="What to maximise.",
)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(min=1),
    help="Local worker processes (default: one per core; 1: run in this process).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:PORT",
    callback=_scheduler,
    help="Run the trials on this Dask scheduler's workers instead.",
)
@click.option(
    "--walk-forward",
    "folds",
    default=None,
    type=click.IntRange(min=1),
    metavar="K",
    help="Also walk forward: K folds, each optimised on one window and tested on the next.",
)
@click.option("--study", default=None, help="Optuna study name (default: derived from the sweep).")
@click.option(
    "--storage",
    default=None,
    metavar="URL",
    help="Optuna storage URL (default: beside the home's database).",
)
@click.option(
    "--top", default=10, show_default=True, type=click.IntRange(min=0), help="Rows shown."
)
@click.option("--json", "json_out", default=None, help="Write results as JSON ('-' = stdout).")
@click.option("--report", "report_out", default=None, help="Write an HTML report here.")
@click.option("--save", is_flag=True, help="Also store each trial as a backtest run in the home.")
@home_option
@one_line_errors
def optimize_command(
    setup: BacktestSetup,
    spaces: list[tuple[str, SearchRange]],
    method: str,
    trials: int | None,
    seed: int,
    objective: str,
    workers: int | None,
    scheduler: str | None,
    folds: int | None,
    study: str | None,
    storage: str | None,
    top: int,
    json_out: str | None,
    report_out: str | None,
    save: bool,
    home: Path,
) -> None:
    """Optimise a strategy's parameters: many backtests, ranked by an objective."""
    strategy = _portable_spec(setup.strategy)
    strategy_class = load_strategy_class(strategy)
    fixed = bind_fixed(strategy_class, setup.fixed_params())
    space = (
        bind_space(strategy_class, spaces, fixed)
        if spaces
        else strategy_space(strategy_class, fixed)
    )
    series = load_bars(setup.data_path)
    job = SweepJob(series, strategy, fixed, setup.config(), objective)
    settings = SearchSettings(
        cast(Method, method),  # click.Choice(METHODS) let through nothing else
        trials,
        seed,
        study,
        _study_storage(home, storage) if method == "optuna" else None,
    )
    to_stdout = json_out == "-"
    with TqdmProgress() as progress:
        done = optimise(
            job,
            space,
            settings,
            folds=folds,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
        )
    outcome = done.outcome
    if outcome.best is None:
        first = outcome.skipped[0] if outcome.skipped else None
        reason = f"; e.g. {first.params}: {first.skipped}" if first is not None else ""
        fail(f"no trial ran: the strategy refused all {len(outcome.results)} combinations{reason}")
    document = done.to_json_dict()
    if to_stdout:
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        if json_out:
            Path(json_out).write_text(json.dumps(document) + "\n", encoding="utf-8")
        print_outcome(done, top)
    if save:
        message = save_trials(home, done, str(Path(setup.data_path).resolve()))
        click.echo(message, err=to_stdout)
    if report_out:
        from scalpbot.backtest.optimize_report import write_optimize_report

        path = write_optimize_report(done, report_out)
        click.echo(f"report: {path}", err=to_stdout)


def _portable_spec(spec: str) -> str:
    """A strategy file given by a relative path, made absolute: workers (a Dask worker above
    all) may run in another directory."""
    path, sep, name = spec.rpartition(":")
    if sep and path.endswith(".py"):
        return f"{Path(path).resolve()}:{name}"
    return spec


def _study_storage(home: Path, storage: str | None) -> StudyStorage:
    """`--storage` as given, else the home's (see `home_storage`); never scalpbot's own tables,
    whose Alembic version table Optuna's would clash with."""
    from scalpbot.config import layout, load_settings

    database = load_settings(home).database_url(layout(home))
    if storage is not None:
        if storage == database:
            raise ConfigError(
                "--storage is scalpbot's own database; Optuna's tables clash with it (both keep "
                "an alembic_version table): leave --storage out to use a file beside it"
            )
        return StudyStorage(storage, {})
    home.mkdir(parents=True, exist_ok=True)
    return home_storage(database)
