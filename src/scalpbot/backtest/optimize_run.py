"""One optimisation trial: a backtest with given parameters, reduced to what a sweep ranks.

A trial's result is the very `BacktestResult` that `scalpbot backtest` gets for the same
parameters, so a trial's `net_pnl` is the figure that command prints. It comes from
`replay_backtest` when the strategy states its decisions as arrays and the settings allow it
(the engine's portfolio, charges and fill prices over the strategy's decisions, without the
bar-by-bar loop; tests/test_sweep_parity.py proves the two identical), else from
`run_backtest`. Everything a trial needs besides its parameters is in a `SweepJob`, which
executors ship to each worker once (the bar series can be hundreds of megabytes); a `Trial`
itself is a few numbers.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from scalpbot.backtest.metrics import Metrics, calmar_ratio
from scalpbot.backtest.replay import replay_backtest
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
    "release_memos",
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
    `replay` False runs every trial through the engine even when it could be replayed (the
    results are the same; it is there to check that, and to time the difference).
    """

    series: BarSeries
    strategy: str
    fixed: dict[str, Any]
    config: BacktestConfig
    objective: str
    replay: bool = True

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
    series = job.series.slice(start, stop)
    result = None
    if job.replay:
        result = replay_backtest(series, strategy, job.config, _memo(job.series, trial.window))
    if result is None:
        result = run_backtest(series, strategy, job.config)
    summary = dataclasses.replace(result, trades=[]).to_json_dict()  # no JSON of every trade
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


MEMO_WINDOWS: Final = 4
"""Bar windows whose replay memos a process keeps (a walk-forward moves through windows)."""
_MEMOS: OrderedDict[tuple[int, int, int], tuple[BarSeries, dict[Hashable, Any]]] = OrderedDict()
_MEMO_LOCK = threading.Lock()


def _memo(series: BarSeries, window: tuple[int, int]) -> dict[Hashable, Any]:
    """The replay memo of this series' window in this process: the strategy's per-series work
    (its averages, say) done once for every trial over the same bars. The entry holds the
    series itself, so its id cannot be reused by another while the memo lives."""
    key = (id(series), *window)
    with _MEMO_LOCK:
        entry = _MEMOS.get(key)
        if entry is None or entry[0] is not series:
            entry = _MEMOS[key] = (series, {})
            while len(_MEMOS) > MEMO_WINDOWS:
                _MEMOS.popitem(last=False)
        _MEMOS.move_to_end(key)
        return entry[1]


def release_memos() -> None:
    """Forget this process's replay memos: a sweep run here is over (its worker processes,
    if any, end with it), so its averages need not outlive it, nor survive a change to the
    bars."""
    with _MEMO_LOCK:
        _MEMOS.clear()


@functools.lru_cache(maxsize=16)
def _strategy_class(spec: str) -> type[Strategy]:
    """Resolve once per process: a user's strategy file is imported once, not per trial."""
    return load_strategy_class(spec)
