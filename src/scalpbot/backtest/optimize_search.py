"""Search methods: which points of the space become trials.

* `grid` runs every combination. `--trials N` is a safety cap, not a sample size: a grid larger
  than N is refused before anything runs (silently running a subset would make "the best of the
  grid" a lie, and running 40,000 backtests by accident wastes an afternoon).
* `random` runs N distinct combinations drawn with `--seed` (all of them when the space is
  smaller), so the same command gives the same trials.
* `optuna` runs a TPE study that resumes (see `optimize_optuna`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from scalpbot.backtest.optimize_exec import Executor
from scalpbot.backtest.optimize_optuna import (
    OptunaSettings,
    StudyStorage,
    optuna_search,
    sweep_key,
)
from scalpbot.backtest.optimize_run import Progress, SweepJob, Trial, TrialResult, rank
from scalpbot.backtest.optimize_space import Space
from scalpbot.domain import ConfigError
from scalpbot.strategies import SearchValue

__all__ = [
    "DEFAULT_TRIALS",
    "METHODS",
    "Method",
    "SearchOutcome",
    "SearchSettings",
    "run_points",
    "search",
]

Method = Literal["grid", "random", "optuna"]
METHODS: Final[tuple[Method, ...]] = ("grid", "random", "optuna")
DEFAULT_TRIALS: Final = 100
"""Trials of a random or Optuna search when `--trials` is not given."""


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """How to pick trials; `study` and `storage` concern Optuna only (None storage: in memory,
    None study: a name derived from the sweep, so the same command finds its study again)."""

    method: Method = "grid"
    trials: int | None = None
    seed: int = 0
    study: str | None = None
    storage: StudyStorage | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"unknown method {self.method!r}: use one of {', '.join(METHODS)}")
        if self.trials is not None and self.trials < 1:
            raise ConfigError(f"--trials must be at least 1, got {self.trials}")


@dataclass(slots=True)
class SearchOutcome:
    """Every trial of one search (by number) and those run by this call (`new`: fewer than
    `results` only when an Optuna study resumed)."""

    results: list[TrialResult]
    new: list[TrialResult]
    notes: list[str] = field(default_factory=list)
    study: str | None = None

    @property
    def ranked(self) -> list[TrialResult]:
        return rank(self.results)

    @property
    def best(self) -> TrialResult | None:
        ranked = self.ranked
        return ranked[0] if ranked else None

    @property
    def skipped(self) -> list[TrialResult]:
        return [r for r in self.results if r.skipped is not None]


def search(
    job: SweepJob,
    space: Space,
    settings: SearchSettings,
    window: tuple[int, int],
    executor: Executor,
    progress: Progress,
    study_suffix: str = "",
) -> SearchOutcome:
    """Run the trials `settings` picks from `space` on the bar rows `window`."""
    notes: list[str] = []
    if settings.method == "optuna":
        name = (settings.study or default_study_name(job, space, window)) + study_suffix
        optuna_settings = OptunaSettings(
            settings.trials or DEFAULT_TRIALS, settings.seed, name, settings.storage
        )
        results, new = optuna_search(job, space, optuna_settings, window, executor, progress)
        earlier = len(results) - len(new)
        if earlier and not new:
            notes.append(
                f"study {name!r} already has {earlier} trials: nothing new ran (raise --trials "
                "to run more)"
            )
        elif earlier:
            notes.append(f"study {name!r} resumed: {earlier} earlier trials kept")
        return SearchOutcome(results, new, notes, name)
    if settings.method == "grid":
        if settings.trials is not None and space.size > settings.trials:
            raise ConfigError(
                f"the grid has {space.size:,} combinations, more than --trials "
                f"{settings.trials:,}: narrow --space, raise --trials, or use --method random "
                "or optuna"
            )
        points = list(space.grid())
    else:
        wanted = settings.trials or DEFAULT_TRIALS
        points = space.sample(wanted, settings.seed)
        if wanted > space.size:
            notes.append(f"the space has only {space.size:,} combinations: all of them ran")
    results = run_points(points, window, executor, progress)
    return SearchOutcome(results, list(results), notes)


def run_points(
    points: list[dict[str, SearchValue]],
    window: tuple[int, int],
    executor: Executor,
    progress: Progress,
) -> list[TrialResult]:
    """Run each point as trial number i; results in trial order."""
    trials = [Trial(number, point, window) for number, point in enumerate(points)]
    progress.expect(len(trials))
    results = []
    for result in executor.run(trials):
        progress.done(result)
        results.append(result)
    return sorted(results, key=lambda r: r.number)


def default_study_name(job: SweepJob, space: Space, window: tuple[int, int]) -> str:
    """`ma_cross-2006-min-005-sharpe-1a2b3c4d5e6f`: readable, and unique to the sweep."""
    strategy = job.strategy.rpartition(":")[2] or job.strategy
    data = Path(job.series.source).stem or "data"
    return f"{strategy}-{data}-{job.objective}-{sweep_key(job, space, window)}"
