"""Walk-forward analysis: optimise on one window, then trade the winner on the next, unseen one.

The bars are cut into K+1 consecutive windows of (nearly) equal length. Fold i optimises on
window i-1 (in-sample) and backtests the best parameters on window i (out-of-sample). A sweep's
best in-sample figure always flatters (it is the maximum of many tries); the out-of-sample
figures are what those parameters would have earned without hindsight. Equal windows make the
two net P&Ls directly comparable: their ratio is the walk-forward efficiency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from scalpbot.backtest.optimize_exec import Executor
from scalpbot.backtest.optimize_run import Progress, SweepJob, Trial, TrialResult, run_trial
from scalpbot.backtest.optimize_search import SearchOutcome, SearchSettings, search
from scalpbot.backtest.optimize_space import Space
from scalpbot.data.series import BarSeries
from scalpbot.domain import ConfigError, ns_to_datetime

__all__ = ["MIN_WINDOW_BARS", "Fold", "walk_forward", "walk_forward_json", "windows"]

MIN_WINDOW_BARS: Final = 10
"""Fewer bars than this in a window cannot give any strategy room to trade."""


@dataclass(frozen=True, slots=True)
class Fold:
    """One step: the search on `in_sample` rows and the best params' run on `out_of_sample`."""

    number: int
    in_sample: tuple[int, int]
    out_of_sample: tuple[int, int]
    search: SearchOutcome
    test: TrialResult | None
    """The out-of-sample backtest; None when every in-sample combination was skipped."""


def windows(bars: int, folds: int) -> list[tuple[int, int]]:
    """`folds + 1` consecutive [start, stop) row ranges covering all `bars`."""
    if folds < 1:
        raise ConfigError(f"--walk-forward must be at least 1, got {folds}")
    parts = folds + 1
    if bars < parts * MIN_WINDOW_BARS:
        raise ConfigError(
            f"--walk-forward {folds} cuts the data into {parts} windows, but {bars} bars give "
            f"fewer than {MIN_WINDOW_BARS} bars each: use fewer folds or more data"
        )
    edges = [bars * i // parts for i in range(parts + 1)]
    return [(edges[i], edges[i + 1]) for i in range(parts)]


def walk_forward(
    job: SweepJob,
    space: Space,
    settings: SearchSettings,
    folds: int,
    executor: Executor,
    progress: Progress,
) -> list[Fold]:
    """Run the K folds in order (each fold's test needs its own search's winner)."""
    cuts = windows(len(job.series), folds)
    done = []
    for number in range(1, folds + 1):
        outcome = search(
            job, space, settings, cuts[number - 1], executor, progress, f"-wf{folds}.{number}"
        )
        best = outcome.best
        test = None
        if best is not None:
            progress.expect(1)
            swept = {name: best.params[name] for name in space.names}
            test = run_trial(job, Trial(0, swept, cuts[number]))
            progress.done(test)
        done.append(Fold(number, cuts[number - 1], cuts[number], outcome, test))
    return done


def walk_forward_json(folds: list[Fold], series: BarSeries, objective: str) -> dict[str, Any]:
    """`{"folds": [...], "totals": {...}}`; each side of a fold carries its window (IST times)
    and `net_pnl` and `<objective>`; the in-sample side also the winning `params`."""
    rows: list[dict[str, Any]] = []
    in_net: list[float] = []
    out_net: list[float] = []
    out_objective: list[float] = []
    for fold in folds:
        best, test = fold.search.best, fold.test
        in_sample = _window(series, fold.in_sample)
        in_sample.update(
            best.to_json_dict(objective)
            if best is not None
            else {"params": None, "net_pnl": None, objective: None}
        )
        in_sample["trials"] = len(fold.search.results)
        in_sample["skipped"] = len(fold.search.skipped)
        out_of_sample = _window(series, fold.out_of_sample)
        out_of_sample["net_pnl"] = test.net_pnl if test is not None else None
        out_of_sample[objective] = test.objective if test is not None else None
        rows.append({"fold": fold.number, "in_sample": in_sample, "out_of_sample": out_of_sample})
        if best is not None and best.net_pnl is not None:
            in_net.append(best.net_pnl)
        if test is not None and test.net_pnl is not None:
            out_net.append(test.net_pnl)
        if test is not None and test.objective is not None:
            out_objective.append(test.objective)
    in_total, out_total = round(sum(in_net), 2), round(sum(out_net), 2)
    return {
        "folds": rows,
        "totals": {
            "folds": len(rows),
            "in_sample_net_pnl": in_total,
            "out_of_sample_net_pnl": out_total,
            f"mean_out_of_sample_{objective}": (
                sum(out_objective) / len(out_objective) if out_objective else None
            ),
            "profitable_folds": sum(1 for pnl in out_net if pnl > 0),
            "efficiency": round(out_total / in_total, 4) if in_total > 0 else None,
        },
    }


def _window(series: BarSeries, rows: tuple[int, int]) -> dict[str, Any]:
    start, stop = rows
    return {
        "start": ns_to_datetime(int(series.ts[start])).isoformat(),
        "end": ns_to_datetime(int(series.ts[stop - 1])).isoformat(),
        "bars": stop - start,
    }
