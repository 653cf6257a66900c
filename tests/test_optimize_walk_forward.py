"""Walk-forward: K+1 consecutive windows, each fold optimised in-sample and tested on the next."""

from __future__ import annotations

import itertools

import pytest

from scalpbot.backtest.optimize import optimise
from scalpbot.backtest.optimize_run import SweepJob
from scalpbot.backtest.optimize_search import SearchSettings
from scalpbot.backtest.optimize_space import bind_space, parse_space_item
from scalpbot.backtest.runner import BacktestConfig, run_backtest
from scalpbot.backtest.walk_forward import MIN_WINDOW_BARS, windows
from scalpbot.data import load_bars, sample_path
from scalpbot.domain import ConfigError
from scalpbot.strategies import create_strategy
from scalpbot.strategies.builtin.ma_cross import MACross

SERIES = load_bars(sample_path("2006-min-005.txt"))
SPACE = bind_space(
    MACross, [parse_space_item("fast=5..25:10"), parse_space_item("slow=30..90:30")], {}
)


def test_windows_are_consecutive_and_cover_every_bar() -> None:
    cuts = windows(2142, 3)
    assert len(cuts) == 4
    assert cuts[0][0] == 0 and cuts[-1][1] == 2142
    assert all(a[1] == b[0] for a, b in itertools.pairwise(cuts))
    sizes = [stop - start for start, stop in cuts]
    assert max(sizes) - min(sizes) <= 1


def test_too_many_folds_for_the_data_is_an_error() -> None:
    with pytest.raises(ConfigError, match="use fewer folds or more data"):
        windows(MIN_WINDOW_BARS * 3 - 1, 2)
    with pytest.raises(ConfigError, match="at least 1"):
        windows(1000, 0)
    job = SweepJob(SERIES.slice(0, 40), "ma_cross", {}, BacktestConfig(), "net_pnl")
    with pytest.raises(ConfigError, match="--walk-forward 5"):
        optimise(job, SPACE, SearchSettings("grid"), folds=5, workers=1)


def test_fold_shapes_and_out_of_sample_runs_use_the_in_sample_winner() -> None:
    job = SweepJob(SERIES, "ma_cross", {}, BacktestConfig(), "sharpe")
    done = optimise(job, SPACE, SearchSettings("grid"), folds=3, workers=1)
    document = done.to_json_dict()
    walk = document["walk_forward"]
    assert [f["fold"] for f in walk["folds"]] == [1, 2, 3]
    cuts = windows(len(SERIES), 3)
    for fold, (ins_rows, out_rows) in zip(walk["folds"], itertools.pairwise(cuts), strict=True):
        ins, out = fold["in_sample"], fold["out_of_sample"]
        assert set(ins) == {
            "start",
            "end",
            "bars",
            "params",
            "net_pnl",
            "sharpe",
            "trials",
            "skipped",
        }
        assert set(out) == {"start", "end", "bars", "net_pnl", "sharpe"}
        assert ins["bars"] == ins_rows[1] - ins_rows[0] and out["bars"] == out_rows[1] - out_rows[0]
        assert ins["end"] < out["start"]
        assert ins["trials"] == SPACE.size
        # The out-of-sample figure is a plain backtest of the in-sample winner on the next window.
        test = run_backtest(
            SERIES.slice(*out_rows), create_strategy("ma_cross", ins["params"]), BacktestConfig()
        )
        assert out["net_pnl"] == test.metrics["net_pnl"]
        assert out["sharpe"] == test.metrics["sharpe"]
        # And the in-sample winner is the best of a sweep over that window alone.
        alone = optimise(
            SweepJob(SERIES.slice(*ins_rows), "ma_cross", {}, BacktestConfig(), "sharpe"),
            SPACE,
            SearchSettings("grid"),
            workers=1,
        ).to_json_dict()["best"]
        assert {k: ins[k] for k in ("params", "net_pnl", "sharpe")} == alone
    totals = walk["totals"]
    assert totals["folds"] == 3
    assert totals["out_of_sample_net_pnl"] == pytest.approx(
        sum(f["out_of_sample"]["net_pnl"] for f in walk["folds"])
    )
    assert totals["in_sample_net_pnl"] == pytest.approx(
        sum(f["in_sample"]["net_pnl"] for f in walk["folds"])
    )
    assert set(totals) == {
        "folds", "in_sample_net_pnl", "out_of_sample_net_pnl", "mean_out_of_sample_sharpe",
        "profitable_folds", "efficiency",
    }  # fmt: skip
    # The top-level sweep still covers every bar.
    assert document["bars"] == len(SERIES) and document["trials"] == SPACE.size
