"""Parameter optimisation: many backtests of one strategy, ranked by an objective.

    from scalpbot.backtest.optimize import optimise
    from scalpbot.backtest.optimize_run import SweepJob
    from scalpbot.backtest.optimize_search import SearchSettings
    from scalpbot.backtest.optimize_space import parse_space_item, bind_space

    job = SweepJob(series, "ma_cross", {}, BacktestConfig(), "sharpe")
    space = bind_space(MACross, [parse_space_item("fast=5..30:5"),
                                 parse_space_item("slow=20..100:10")], {})
    done = optimise(job, space, SearchSettings("grid"), workers=2)
    done.to_json_dict()["best"]   # {"params": {...}, "net_pnl": ..., "sharpe": ...}

The pieces: `optimize_space` (what to try), `optimize_search` (which points: grid, random,
Optuna), `optimize_exec` (where: this process, a process pool, Dask), `optimize_run` (one
trial = one `run_backtest`), `walk_forward` (in-sample vs out-of-sample), `optimize_report`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scalpbot.backtest.optimize_exec import open_executor
from scalpbot.backtest.optimize_run import Progress, SweepJob, TrialResult, release_memos
from scalpbot.backtest.optimize_search import SearchOutcome, SearchSettings, search
from scalpbot.backtest.optimize_space import Space
from scalpbot.backtest.walk_forward import Fold, walk_forward, walk_forward_json, windows

__all__ = ["Optimisation", "optimise"]


class _Silent:
    """A `Progress` that reports nothing (for library use and tests)."""

    def expect(self, trials: int) -> None:
        return None

    def done(self, result: TrialResult) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Optimisation:
    """The finished sweep over all bars, the walk-forward folds if asked for, and where it ran."""

    job: SweepJob
    space: Space
    settings: SearchSettings
    outcome: SearchOutcome
    folds: list[Fold] | None
    where: str

    def to_json_dict(self) -> dict[str, Any]:
        """`{"best", "results", ...}`: results are the trials that ran, best first; trials
        the strategy refused are under `skipped` with its reason."""
        objective = self.job.objective
        best = self.outcome.best
        document: dict[str, Any] = {
            "best": best.to_json_dict(objective) if best is not None else None,
            "results": [r.to_json_dict(objective) for r in self.outcome.ranked],
            "objective": objective,
            "method": self.settings.method,
            "strategy": self.job.strategy,
            "instrument": self.job.config.instrument.key,
            "bars": len(self.job.series),
            "space": self.space.to_json_dict(),
            "trials": len(self.outcome.results),
            "skipped": [{"params": r.params, "reason": r.skipped} for r in self.outcome.skipped],
        }
        if self.outcome.study is not None:
            document["study"] = self.outcome.study
        if self.outcome.notes:
            document["notes"] = list(self.outcome.notes)
        if self.folds is not None:
            document["walk_forward"] = walk_forward_json(self.folds, self.job.series, objective)
        return document


def optimise(
    job: SweepJob,
    space: Space,
    settings: SearchSettings,
    *,
    folds: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Optimisation:
    """Search `space` over all of `job`'s bars, then (with `folds`) walk forward.

    `workers` None uses every core, 1 runs in this process; `scheduler` (a Dask address) runs
    the trials on that cluster instead. One executor serves the whole run, so the bars reach
    each worker once.
    """
    report = progress or _Silent()
    if folds is not None:
        windows(len(job.series), folds)  # a bad fold count fails before hours of trials
    try:
        with open_executor(job, workers, scheduler) as executor:
            outcome = search(job, space, settings, (0, len(job.series)), executor, report)
            steps = walk_forward(job, space, settings, folds, executor, report) if folds else None
            where = executor.describe()
    finally:
        release_memos()  # trials replayed in this process (--workers 1) kept their averages
    return Optimisation(job, space, settings, outcome, steps, where)
