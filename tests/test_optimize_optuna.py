"""Optuna search: a study kept in a database resumes where it stopped, beside scalpbot's store."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from scalpbot.backtest.optimize import Optimisation, optimise
from scalpbot.backtest.optimize_optuna import StudyStorage, home_storage
from scalpbot.backtest.optimize_run import SweepJob
from scalpbot.backtest.optimize_search import SearchSettings
from scalpbot.backtest.optimize_space import Space, bind_space, parse_space_item
from scalpbot.backtest.runner import BacktestConfig, run_backtest
from scalpbot.data import load_bars, sample_path
from scalpbot.domain import ConfigError
from scalpbot.store import Store
from scalpbot.strategies import create_strategy
from scalpbot.strategies.builtin.ma_cross import MACross
from scalpbot.strategies.builtin.rsi_reversion import RSIReversion
from store_support import postgres_database

SERIES = load_bars(sample_path("2006-min-005.txt")).slice(0, 1200)


def ma_space(*items: str) -> Space:
    return bind_space(MACross, [parse_space_item(i) for i in items], {})


def study_run(
    storage: StudyStorage | None,
    trials: int,
    *,
    study: str | None = None,
    space: Space | None = None,
    objective: str = "net_pnl",
    workers: int = 1,
) -> Optimisation:
    job = SweepJob(SERIES, "ma_cross", {}, BacktestConfig(), objective)
    return optimise(
        job,
        space or ma_space("fast=5..30:5", "slow=20..100:10"),
        SearchSettings("optuna", trials=trials, seed=1, study=study, storage=storage),
        workers=workers,
    )


def test_a_study_in_sqlite_resumes_and_runs_only_the_missing_trials(tmp_path: Path) -> None:
    storage = StudyStorage(f"sqlite:///{tmp_path / 'studies.db'}", {})
    first = study_run(storage, 4)
    assert first.outcome.study is not None
    assert len(first.outcome.results) == len(first.outcome.new) == 4

    again = study_run(storage, 6)
    assert again.outcome.study == first.outcome.study
    assert len(again.outcome.results) == 6 and len(again.outcome.new) == 2
    assert "4 earlier trials kept" in again.outcome.notes[0]
    kept = {r.number: r for r in again.outcome.results}
    for earlier in first.outcome.results:  # read back from the database, unchanged
        assert kept[earlier.number].params == earlier.params
        assert kept[earlier.number].objective == earlier.objective
        assert kept[earlier.number].metrics == earlier.metrics
    loaded = optuna.load_study(study_name=again.outcome.study, storage=storage.url)
    assert len(loaded.trials) == 6

    unchanged = study_run(storage, 6)
    assert len(unchanged.outcome.results) == 6 and unchanged.outcome.new == []
    assert "nothing new ran" in unchanged.outcome.notes[0]


def test_best_of_a_study_is_what_a_backtest_reports() -> None:
    done = study_run(None, 8, objective="sharpe")
    best = done.to_json_dict()["best"]
    direct = run_backtest(SERIES, create_strategy("ma_cross", best["params"]), BacktestConfig())
    assert best["net_pnl"] == direct.metrics["net_pnl"]
    assert best["sharpe"] == direct.metrics["sharpe"]


def test_refused_combinations_are_pruned_not_crashes(tmp_path: Path) -> None:
    storage = StudyStorage(f"sqlite:///{tmp_path / 'studies.db'}", {})
    done = study_run(storage, 6, space=ma_space("fast=20..30:10", "slow=20..30:10"))
    assert len(done.outcome.results) == 6
    assert done.outcome.skipped, "fast >= slow must show up as skipped"
    assert all("must be below slow" in (r.skipped or "") for r in done.outcome.skipped)
    study = optuna.load_study(study_name=done.outcome.study, storage=storage.url)
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert len(pruned) == len(done.outcome.skipped)


def test_float_ranges_yield_exactly_the_space_values() -> None:
    job = SweepJob(SERIES, "rsi_reversion", {}, BacktestConfig(), "net_pnl")
    space = bind_space(RSIReversion, [parse_space_item("oversold=20..35:5")], {})
    done = optimise(job, space, SearchSettings("optuna", trials=6), workers=1)
    assert {r.params["oversold"] for r in done.outcome.results} <= {20.0, 25.0, 30.0, 35.0}


def test_a_named_study_refuses_a_different_sweep(tmp_path: Path) -> None:
    storage = StudyStorage(f"sqlite:///{tmp_path / 'studies.db'}", {})
    study_run(storage, 2, study="mine")
    with pytest.raises(ConfigError, match="study 'mine' holds a different sweep"):
        study_run(storage, 2, study="mine", objective="sharpe")


def test_the_home_sqlite_study_lives_beside_the_store(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'scalpbot.db'}"
    Store.open(database).close()  # scalpbot's tables and its Alembic version exist first
    storage = home_storage(database)
    assert storage.url == f"sqlite:///{tmp_path / 'scalpbot-optuna.db'}"
    assert len(study_run(storage, 2).outcome.results) == 2
    store = Store.open(database)  # and the store still opens (no clash of version tables)
    store.close()


def test_the_home_postgres_study_lives_in_its_own_schema() -> None:
    with postgres_database() as database:
        Store.open(database).close()
        storage = home_storage(database)
        assert storage.schema == "optuna"
        assert len(study_run(storage, 2).outcome.results) == 2
        assert len(study_run(storage, 3).outcome.new) == 1
        Store.open(database).close()


def test_storage_for_other_databases_must_be_given() -> None:
    with pytest.raises(ConfigError, match="give --storage"):
        home_storage("mysql://u@localhost/db")
    with pytest.raises(ConfigError, match="in memory"):
        home_storage("sqlite://")
