"""Grid and random search on the bundled minute data, objectives, ranking, skipped combinations,
and the local process pool (which must ship the bars to each worker once, not per trial)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from optimize_support import CountingSeries, counting
from scalpbot.backtest.metrics import calmar_ratio
from scalpbot.backtest.optimize import Optimisation, optimise
from scalpbot.backtest.optimize_run import (
    OBJECTIVES,
    SweepJob,
    TrialResult,
    objective_value,
    rank,
)
from scalpbot.backtest.optimize_search import SearchSettings
from scalpbot.backtest.optimize_space import Space, bind_space, parse_space_item
from scalpbot.backtest.runner import BacktestConfig, run_backtest
from scalpbot.data import BarSeries, load_bars, sample_path
from scalpbot.domain import ConfigError
from scalpbot.strategies import create_strategy
from scalpbot.strategies.builtin.ma_cross import MACross

SERIES = load_bars(sample_path("2006-min-005.txt"))


def ma_space(*items: str) -> Space:
    return bind_space(MACross, [parse_space_item(i) for i in items], {})


def sweep(
    objective: str = "net_pnl",
    settings: SearchSettings | None = None,
    space: Space | None = None,
    series: BarSeries = SERIES,
    workers: int = 1,
    fixed: dict[str, Any] | None = None,
) -> Optimisation:
    job = SweepJob(series, "ma_cross", fixed or {}, BacktestConfig(), objective)
    return optimise(
        job,
        space or ma_space("fast=5..30:5", "slow=20..100:10"),
        settings or SearchSettings("grid"),
        workers=workers,
    )


def test_grid_runs_every_combination_and_its_best_is_what_a_backtest_reports() -> None:
    done = sweep()
    document = done.to_json_dict()
    assert document["trials"] == 54
    assert len(document["results"]) + len(document["skipped"]) == 54
    best = document["best"]
    assert set(best) == {"params", "net_pnl"}
    assert best == document["results"][0]
    direct = run_backtest(SERIES, create_strategy("ma_cross", best["params"]), BacktestConfig())
    assert best["net_pnl"] == direct.metrics["net_pnl"]
    assert best["net_pnl"] == max(r["net_pnl"] for r in document["results"])


def test_combinations_the_strategy_refuses_are_skipped_with_its_reason() -> None:
    done = sweep(space=ma_space("fast=10..30:10", "slow=20..30:10"))
    skipped = done.to_json_dict()["skipped"]
    assert [s["params"] for s in skipped] == [
        {"fast": 20, "slow": 20},
        {"fast": 30, "slow": 20},
        {"fast": 30, "slow": 30},
    ]
    assert all("must be below slow" in s["reason"] for s in skipped)
    assert [r["params"] for r in done.to_json_dict()["results"]] != []


@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_each_objective_ranks_by_its_metric(objective: str) -> None:
    done = sweep(objective, space=ma_space("fast=5..25:10", "slow=30..90:30"))
    document = done.to_json_dict()
    best = document["best"]
    assert set(best) == {"params", "net_pnl", objective}
    values = [r[objective] for r in document["results"]]
    defined = [v for v in values if v is not None]
    assert values[: len(defined)] == sorted(defined, reverse=True)  # None ranks last
    winner = done.outcome.best
    assert winner is not None
    expected = calmar_ratio(winner.metrics) if objective == "calmar" else winner.metrics[objective]
    assert best[objective] == expected


def test_calmar_is_cagr_over_max_drawdown() -> None:
    assert calmar_ratio({"cagr": 20.0, "max_drawdown_pct": 5.0}) == 4.0
    assert calmar_ratio({"cagr": -10.0, "max_drawdown_pct": 20.0}) == -0.5
    assert calmar_ratio({"cagr": 20.0, "max_drawdown_pct": 0.0}) is None
    assert calmar_ratio({"cagr": None, "max_drawdown_pct": 3.0}) is None


def test_undefined_objectives_rank_last_and_ties_keep_trial_order() -> None:
    assert objective_value({"sharpe": math.nan}, "sharpe") is None
    assert objective_value({"profit_factor": None}, "profit_factor") is None
    results = [
        TrialResult(0, {"a": 0}, objective=None),
        TrialResult(1, {"a": 1}, objective=1.5),
        TrialResult(2, {"a": 2}, skipped="refused"),
        TrialResult(3, {"a": 3}, objective=-2.0),
        TrialResult(4, {"a": 4}, objective=1.5),
    ]
    assert [r.number for r in rank(results)] == [1, 4, 3, 0]


def test_grid_larger_than_trials_is_refused_before_running() -> None:
    with pytest.raises(ConfigError, match="the grid has 54 combinations, more than --trials 20"):
        sweep(settings=SearchSettings("grid", trials=20))
    assert sweep(settings=SearchSettings("grid", trials=54)).to_json_dict()["trials"] == 54


def test_random_search_is_distinct_and_reproducible_by_seed() -> None:
    def params(seed: int) -> list[dict[str, Any]]:
        done = sweep(settings=SearchSettings("random", trials=12, seed=seed))
        assert done.to_json_dict()["trials"] == 12
        return [r.params for r in done.outcome.results]

    first = params(3)
    assert len({tuple(p.items()) for p in first}) == 12
    assert params(3) == first
    assert params(4) != first


def test_random_asks_for_more_than_the_space_holds() -> None:
    done = sweep(settings=SearchSettings("random", trials=50), space=ma_space("fast=5..10:5"))
    assert done.to_json_dict()["trials"] == 2
    assert done.outcome.notes == ["the space has only 2 combinations: all of them ran"]


def test_fixed_params_are_part_of_every_result() -> None:
    done = sweep(space=ma_space("fast=5..10:5"), fixed={"slow": 40, "kind": "ema"})
    assert sorted(r["params"]["fast"] for r in done.to_json_dict()["results"]) == [5, 10]
    for result in done.to_json_dict()["results"]:
        assert result["params"] == {"slow": 40, "kind": "ema", "fast": result["params"]["fast"]}


def test_local_pool_matches_in_process_and_ships_the_bars_once_per_worker() -> None:
    alone = sweep(workers=1).to_json_dict()
    CountingSeries.pickled = 0
    pooled = sweep(workers=2, series=counting(SERIES))
    assert pooled.where == "on 2 local worker processes"
    assert 1 <= CountingSeries.pickled <= 2  # one per worker, not one per trial (54)
    assert pooled.to_json_dict()["results"] == alone["results"]
    assert np.array_equal(pooled.job.series.ts, SERIES.ts)
