"""One optimisation trial: a backtest with given parameters, reduced to what a sweep ranks.

A trial runs the very `run_backtest` that `scalpbot backtest` runs, so a trial's `net_pnl` is
the figure that command prints for the same parameters. Everything a trial needs besides its
parameters is in a `SweepJob`, which executors ship to each worker once (the bar series can be
hundreds of megabytes); a `Trial` itself is a few numbers.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from scalpbot.backtest.metrics import Metrics, calmar_ratio
from scalpbot.backtest.runner import BacktestConfig, run_backtest
from scalpbot.data.series import BarSeries
from scalpbot.domain import ConfigError
from scalpbot.strategies import SearchValue, Strategy, load_strategy_class

__all__ = [
    "OBJECTIVES",
    "Progress",
    "SweepJob",
    "Trial",
    "TrialResult",
    "objective_value",
    "rank",
    "run_trial",
]

OBJECTIVES: Final[dict[str, Callable[[Metrics], float | int | None]]] = {
    "net_pnl": lambda m: m.get("net_pnl"),
    "sharpe": lambda m: m.get("sharpe"),
    "sortino": lambda m: m.get("sortino"),
    "profit_factor": lambda m: m.get("profit_factor"),
    "calmar": calmar_ratio,
}
"""What a sweep can maximise; higher is better for every one of them."""


@dataclass(frozen=True, slots=True)
class SweepJob:
    """What every trial of a sweep shares: data, strategy, fixed parameters, run settings.

    `fixed` holds the `--param` values (typed); a trial's own values are laid over them.
    """

    series: BarSeries
    strategy: str
    fixed: dict[str, Any]
    config: BacktestConfig
    objective: str

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ConfigError(
                f"unknown objective {self.objective!r}: use one of {', '.join(OBJECTIVES)}"
            )


@dataclass(frozen=True, slots=True)
class Trial:
    """One point to evaluate: `params` on the bar rows `window` = [start, stop)."""

    number: int
    params: dict[str, SearchValue]
    window: tuple[int, int]


@dataclass(frozen=True, slots=True)
class TrialResult:
    """A trial's outcome; `skipped` holds the strategy's reason when it refused the params.

    `params` are the parameters given to the strategy (`--param` values and the trial's),
    exactly what `scalpbot backtest --param ...` needs to reproduce the run. `summary` is the
    backtest's JSON without the trade list, for `--save`.
    """

    number: int
    params: dict[str, Any]
    objective: float | None = None
    metrics: Metrics = field(default_factory=dict)
    skipped: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def net_pnl(self) -> float | None:
        value = self.metrics.get("net_pnl")
        return None if value is None else float(value)

    def to_json_dict(self, objective: str) -> dict[str, Any]:
        """`{"params", "net_pnl", "<objective>"}`: the shape of `best` and of each result."""
        document: dict[str, Any] = {"params": self.params, "net_pnl": self.net_pnl}
        document[objective] = self.objective
        return document


class Progress(Protocol):
    """What a sweep reports while it runs (the CLI draws a progress bar from it)."""

    def expect(self, trials: int) -> None:
        """`trials` more trials are planned."""

    def done(self, result: TrialResult) -> None:
        """One trial finished (or was skipped)."""


def objective_value(metrics: Metrics, objective: str) -> float | None:
    """The objective's value for these metrics; None when undefined (NaN counts as undefined)."""
    value = OBJECTIVES[objective](metrics)
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def run_trial(job: SweepJob, trial: Trial) -> TrialResult:
    """Backtest `trial.params` over its window; a ConfigError from the strategy's constructor
    (a combination it rejects, such as fast >= slow) makes a skipped result, not a failure."""
    params = {**job.fixed, **trial.params}
    try:
        strategy = _strategy_class(job.strategy)(**params)
    except ConfigError as exc:
        return TrialResult(trial.number, params, skipped=str(exc))
    start, stop = trial.window
    result = run_backtest(job.series.slice(start, stop), strategy, job.config)
    summary = result.to_json_dict()
    del summary["trades"]
    return TrialResult(
        trial.number,
        params,
        objective=objective_value(result.metrics, job.objective),
        metrics=dict(result.metrics),
        summary=summary,
    )


def rank(results: Iterable[TrialResult]) -> list[TrialResult]:
    """Trials that ran, best first: higher objective first, undefined objectives last, ties
    in trial order (so the ranking does not depend on which worker finished first)."""
    ran = [r for r in results if r.skipped is None]
    return sorted(ran, key=lambda r: (r.objective is None, -(r.objective or 0.0), r.number))


@functools.lru_cache(maxsize=16)
def _strategy_class(spec: str) -> type[Strategy]:
    """Resolve once per process: a user's strategy file is imported once, not per trial."""
    return load_strategy_class(spec)
