"""The same sweep on a real Dask cluster (a scheduler and two worker processes on 127.0.0.1)
gives the local pool's results, and the bars travel to the workers once, not per trial."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from distributed import LocalCluster

from optimize_support import CountingSeries, counting
from scalpbot.backtest.optimize import Optimisation, optimise
from scalpbot.backtest.optimize_run import SweepJob
from scalpbot.backtest.optimize_search import SearchSettings
from scalpbot.backtest.optimize_space import bind_space, parse_space_item
from scalpbot.backtest.runner import BacktestConfig
from scalpbot.data import BarSeries, load_bars, sample_path
from scalpbot.strategies.builtin.ma_cross import MACross

SERIES = load_bars(sample_path("2006-min-005.txt"))
SPACE = bind_space(
    MACross, [parse_space_item("fast=5..30:5"), parse_space_item("slow=20..100:10")], {}
)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # a free port: parallel test runs never collide
    ) as cluster:
        yield str(cluster.scheduler_address)


def sweep(
    settings: SearchSettings,
    *,
    series: BarSeries = SERIES,
    workers: int | None = None,
    scheduler: str | None = None,
    folds: int | None = None,
) -> Optimisation:
    job = SweepJob(series, "ma_cross", {}, BacktestConfig(), "sharpe")
    return optimise(job, SPACE, settings, workers=workers, scheduler=scheduler, folds=folds)


def test_dask_results_equal_the_local_pool(scheduler: str) -> None:
    pooled = sweep(SearchSettings("grid"), workers=2)
    CountingSeries.pickled = 0
    on_dask = sweep(SearchSettings("grid"), series=counting(SERIES), scheduler=scheduler)
    assert on_dask.where == f"on the Dask cluster at {scheduler} (2 workers)"
    assert 1 <= CountingSeries.pickled <= 2  # scattered once, not once per trial (54)
    assert on_dask.to_json_dict() == pooled.to_json_dict()


def test_walk_forward_on_dask_equals_local(scheduler: str) -> None:
    settings = SearchSettings("random", trials=10, seed=5)
    local = sweep(settings, workers=1, folds=2).to_json_dict()
    remote = sweep(settings, scheduler=scheduler, folds=2).to_json_dict()
    assert remote["walk_forward"] == local["walk_forward"]
    assert remote["results"] == local["results"]


def test_optuna_batches_run_on_dask(scheduler: str) -> None:
    done = sweep(SearchSettings("optuna", trials=6, seed=2), scheduler=scheduler)
    assert len(done.outcome.results) == 6
    assert done.outcome.best is not None
