"""What `scalpbot optimize` shows and stores: the progress bar, the tables, `--save`.

`--save` stores every trial of the run as a backtest run (params, metrics, summary) but the
trade list only for the best one: a 500-trial sweep of a busy strategy would otherwise write
hundreds of thousands of trades nobody reads. The best is re-run here to get its trades; any
other run can be reproduced with the `scalpbot backtest --param ...` line printed for it.

The runs of one `--save` share a sweep id in their summary's `optimisation` entry, so the
dashboard can group them back into the sweep (its table and heat map) without a table of its
own. What the sweep as a whole knows (the space, the refused combinations) would be the same
in every run, so only the sweep's first stored run carries it, under `sweep_info`.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

import click
from tqdm import tqdm

from scalpbot.backtest.optimize import Optimisation
from scalpbot.backtest.optimize_run import TrialResult
from scalpbot.backtest.runner import run_backtest
from scalpbot.backtest.walk_forward import walk_forward_json
from scalpbot.cli.backtest_setup import home_store
from scalpbot.strategies import create_strategy

__all__ = ["TqdmProgress", "print_outcome", "save_trials"]

#: The most values of the space (all parameters together) and refused combinations kept in a
#: sweep's `sweep_info`; a bigger space is left out (the dashboard then takes the grid's axes
#: from the trials), a longer refused list is cut (`skipped_count` stays exact).
MAX_SWEEP_INFO_ITEMS = 10_000


class TqdmProgress:
    """A `Progress` drawn as a tqdm bar on stderr (hidden when stderr is not a terminal)."""

    def __init__(self) -> None:
        self._bar = tqdm(total=0, unit="trial", file=sys.stderr, disable=None, leave=False)
        self._skipped = 0

    def expect(self, trials: int) -> None:
        self._bar.total = (self._bar.total or 0) + trials
        self._bar.refresh()

    def done(self, result: TrialResult) -> None:
        if result.skipped is not None:
            self._skipped += 1
            self._bar.set_postfix_str(f"{self._skipped} skipped", refresh=False)
        self._bar.update(1)

    def __enter__(self) -> TqdmProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bar.close()


def print_outcome(done: Optimisation, top: int) -> None:
    """The sweep in a few lines: what ran, the best `top` results, the walk-forward folds."""
    job, outcome, space = done.job, done.outcome, done.space
    objective = job.objective
    click.echo(
        f"{job.strategy} on {job.config.instrument.key}, {len(job.series):,} bars: "
        f"{done.settings.method} over {space.describe()}"
    )
    click.echo(
        f"{len(outcome.results):,} trials ({len(outcome.skipped):,} skipped) {done.where}; "
        f"objective {objective} (higher is better)"
        + (f"; study {outcome.study}" if outcome.study else "")
    )
    for note in outcome.notes:
        click.echo(f"note: {note}")
    ranked = outcome.ranked[:top]
    if ranked:
        extra = [] if objective == "net_pnl" else [objective]
        head = ["#", *space.names, *extra, "net_pnl", "trades", "max_dd_%"]
        rows = []
        for place, result in enumerate(ranked, start=1):
            metrics = result.metrics
            rows.append(
                [str(place)]
                + [str(result.params.get(name)) for name in space.names]
                + ([_text(result.objective)] if extra else [])
                + [_money(result.net_pnl), _text(metrics.get("trades"))]
                + [_text(metrics.get("max_drawdown_pct"))]
            )
        click.echo("")
        _table(head, rows, left=set())
    best = outcome.best
    if best is not None:
        flags = " ".join(f"--param {name}={_flag(value)}" for name, value in best.params.items())
        click.echo(f"\nbest, as `scalpbot backtest` options: {flags}")
    if done.folds is not None:
        _print_walk_forward(done)


def _print_walk_forward(done: Optimisation) -> None:
    objective = done.job.objective
    document = walk_forward_json(done.folds or [], done.job.series, objective)
    head = ["fold", "in-sample (IST)", "best params", objective, "net_pnl"]
    head += ["out-of-sample (IST)", objective, "net_pnl"]
    rows = []
    for fold in document["folds"]:
        ins, out = fold["in_sample"], fold["out_of_sample"]
        params = ins["params"] or {}
        chosen = " ".join(f"{n}={params.get(n)}" for n in done.space.names)
        rows.append(
            [
                str(fold["fold"]),
                _span(ins),
                chosen if ins["params"] is not None else "none ran",
                _text(ins[objective]),
                _money(ins["net_pnl"]),
                _span(out),
                _text(out[objective]),
                _money(out["net_pnl"]),
            ]
        )
    totals = document["totals"]
    click.echo(f"\nwalk-forward, {totals['folds']} folds (optimise on a window, trade the next):")
    _table(head, rows, left={1, 2, 5})
    click.echo(
        f"total net_pnl: in-sample {_money(totals['in_sample_net_pnl'])}, out-of-sample "
        f"{_money(totals['out_of_sample_net_pnl'])} ({totals['profitable_folds']} of "
        f"{totals['folds']} folds profitable; efficiency {_text(totals['efficiency'])})"
    )


def save_trials(home: Path, done: Optimisation, data_source: str) -> str:
    """Store this run's trials in the home's database; return the line to print."""
    outcome, job = done.outcome, done.job
    best = outcome.best
    stored: list[int] = []
    best_id: int | None = None
    sweep_id = uuid.uuid4().hex[:12]
    names = list(done.space.names)
    info: dict[str, Any] | None = _sweep_info(done)
    with home_store(home) as store:
        for result in outcome.new:
            if result.skipped is not None or not result.summary:
                continue  # refused by the strategy, or a repeat answered from an earlier trial
            is_best = best is not None and result.number == best.number
            trades: list[dict[str, Any]] = []
            summary = dict(result.summary)
            if is_best:
                strategy = create_strategy(job.strategy, dict(result.params))
                full = run_backtest(job.series, strategy, job.config)
                summary = full.to_json_dict()
                trades = summary["trades"]
            summary["trades"] = trades
            summary["optimisation"] = {
                "method": done.settings.method,
                "objective": job.objective,
                "trial": result.number,
                "study": outcome.study,
                "trades_stored": is_best,
                "sweep": sweep_id,
                "parameters": names,
                "value": result.objective,
            }
            if info is not None:  # the sweep's first stored run: what the whole sweep knows
                summary["optimisation"]["sweep_info"] = info
                info = None
            run_id = store.backtests.add(
                summary["strategy"],
                summary["params"],
                data_source,
                summary["metrics"],
                trades,
                summary,
            )
            stored.append(run_id)
            if is_best:
                best_id = run_id
    if not stored:
        return "no new trial to store"
    span = f"{stored[0]}" if len(stored) == 1 else f"{stored[0]}–{stored[-1]}"
    tail = f"; the best is run {best_id}, with its trades" if best_id is not None else ""
    return (
        f"stored {len(stored)} trials as backtest runs {span}{tail}\n"
        f"sweep {sweep_id}: on the dashboard's Strategies page, /strategies#sweep={sweep_id}"
    )


def _sweep_info(done: Optimisation) -> dict[str, Any]:
    """The sweep as a whole: its space (the heat map's axes, refused and untried cells
    included) and the combinations the strategy refused in this run, with its reasons."""
    names = done.space.names
    space = done.space.to_json_dict()
    refused = [r for r in done.outcome.new if r.skipped is not None]
    return {
        "space": space if sum(map(len, space.values())) <= MAX_SWEEP_INFO_ITEMS else None,
        "skipped": [
            {"params": {name: r.params.get(name) for name in names}, "reason": r.skipped}
            for r in refused[:MAX_SWEEP_INFO_ITEMS]
        ],
        "skipped_count": len(refused),
    }


def _table(head: list[str], rows: list[list[str]], left: set[int]) -> None:
    """Columns padded to their widest cell; numbers right-aligned, the `left` columns not."""
    widths = [max(len(head[i]), *(len(row[i]) for row in rows)) for i in range(len(head))]
    for line in [head, *rows]:
        cells = [
            cell.ljust(widths[i]) if i in left else cell.rjust(widths[i])
            for i, cell in enumerate(line)
        ]
        click.echo("  ".join(cells).rstrip())


def _span(window: dict[str, Any]) -> str:
    return f"{window['start'][:16].replace('T', ' ')} → {window['end'][:16].replace('T', ' ')}"


def _text(value: object) -> str:
    """Ratios and percentages to 3 decimals; ints and texts as they are."""
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _flag(value: object) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text if text and " " not in text else repr(text)
