"""A sweep's replayed trials equal `scalpbot backtest`, to the paisa and to the last float.

`scalpbot optimize` replays a strategy's decisions (`MACross.target_positions`) through the
engine's portfolio instead of running the engine bar by bar (see `scalpbot.backtest.replay`).
These tests hold the replay to the engine: every combination of small grids, long-only and
long/short, simple and exponential averages, with and without slippage and zerodha charges,
on the bundled minute sample and on seeded random walks (whole-rupee prices that tie often,
and prices off the tick grid so the fill rounding matters). Equal means the whole result:
every trade, the equity after every bar, the exposure, the metrics, the open position.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimize_support import SAMPLE
from scalpbot.backtest import optimize_run
from scalpbot.backtest.optimize import optimise
from scalpbot.backtest.optimize_run import SweepJob, Trial, run_trial
from scalpbot.backtest.optimize_search import SearchSettings
from scalpbot.backtest.optimize_space import bind_space, parse_space_item
from scalpbot.backtest.replay import replay_backtest, replay_reason
from scalpbot.backtest.result import BacktestResult
from scalpbot.backtest.runner import BacktestConfig, default_risk, run_backtest
from scalpbot.brokers.paper import PaperConfig
from scalpbot.data import BarSeries, load_bars, write_csv
from scalpbot.domain import IST, Exchange, Instrument, InstrumentType, datetime_to_ns
from scalpbot.indicators import EMA, SMA
from scalpbot.indicators.arrays import ema_values, sma_values
from scalpbot.strategies.builtin.ma_cross import MACross
from scalpbot.strategies.builtin.rsi_reversion import RSIReversion

SAMPLE_SERIES = load_bars(SAMPLE)
MINUTE_NS = 60 * 1_000_000_000
FUT = Instrument(
    Exchange.NFO, "WALKFUT", InstrumentType.FUT, tick_size=Decimal("0.05"), lot_size=25
)

PLAIN = BacktestConfig(charges="none")
COSTLY = BacktestConfig(charges="zerodha", paper=PaperConfig(slippage_ticks=2))
FUTURES = BacktestConfig(
    instrument=FUT,
    quantity=50,
    cash=Decimal(10_000_000),
    charges="zerodha",
    paper=PaperConfig(slippage_ticks=1),
)


def random_walk(bars: int, seed: int, decimals: int | None, per_day: int = 375) -> BarSeries:
    """Minute bars of a seeded walk, `per_day` bars each IST day from 09:15. `decimals` None:
    whole rupees (the averages tie often); else prices with that many decimals, which a
    0.05 tick does not hold, so market fills are rounded."""
    rng = np.random.default_rng(seed)
    close = 1_000 + np.cumsum(rng.normal(0, 2, bars))
    opens = np.concatenate(([1_000.0], close[:-1])) + rng.normal(0, 0.5, bars)
    places = 0 if decimals is None else decimals
    close, opens = np.round(close, places), np.round(opens, places)
    high = np.maximum(opens, close) + np.round(np.abs(rng.normal(0, 1, bars)), places)
    low = np.minimum(opens, close) - np.round(np.abs(rng.normal(0, 1, bars)), places)
    start = datetime_to_ns(datetime(2024, 1, 1, 9, 15, tzinfo=IST))
    day, minute = np.divmod(np.arange(bars, dtype=np.int64), per_day)
    ts = start + day * 86_400 * 1_000_000_000 + minute * MINUTE_NS
    volume = rng.integers(100, 10_000, bars).astype(np.float64)
    return BarSeries(ts, opens, high, low, close, volume, f"walk-{seed}")


WHOLE_RUPEES = random_walk(3_000, seed=7, decimals=None)
OFF_TICK = random_walk(3_000, seed=11, decimals=3)


def assert_same(engine: BacktestResult, replayed: BacktestResult | None) -> None:
    """The two results are the same run: every field a report, the JSON or a sweep reads."""
    assert replayed is not None
    assert replayed.to_json_dict() == engine.to_json_dict()
    assert replayed.trades == engine.trades  # Decimal prices, P&L and charges, exactly
    assert np.array_equal(replayed.equity, engine.equity)
    assert np.array_equal(replayed.in_market, engine.in_market)
    assert replayed.open_position == engine.open_position
    assert replayed.final_equity == engine.final_equity
    assert replayed.total_charges == engine.total_charges
    assert replayed.metrics == engine.metrics


# -- the averages --------------------------------------------------------------------------------


def incremental(indicator: SMA | EMA, prices: np.ndarray) -> np.ndarray:
    values = [indicator.update(p) for p in prices.tolist()]
    return np.array([np.nan if v is None else v for v in values])


AVERAGE_INPUTS = {
    "two decimals": np.round(250 + np.cumsum(np.random.default_rng(1).normal(0, 1, 6_000)), 2),
    "whole rupees": WHOLE_RUPEES.close,
    "wide range": np.random.default_rng(2).normal(0, 1e6, 6_000),
}


@pytest.mark.parametrize("name", list(AVERAGE_INPUTS))
@pytest.mark.parametrize("period", [1, 2, 3, 7, 60, 1023, 1024, 1025, 2_000, 9_000])
def test_array_averages_are_the_indicators_floats(name: str, period: int) -> None:
    """Around and across the SMA's exact resync (every max(period, 1024) updates) and past the
    series' length, the array twins give the very floats `update` returns."""
    prices = AVERAGE_INPUTS[name]
    assert np.array_equal(sma_values(prices, period), incremental(SMA(period), prices), True)
    assert np.array_equal(ema_values(prices, period), incremental(EMA(period), prices), True)


# -- one replay against one backtest -------------------------------------------------------------

SMALL_GRID = list(product([1, 2, 5, 9], [3, 10, 24, 60]))


@pytest.mark.parametrize(
    ("series", "config"),
    [
        (SAMPLE_SERIES, PLAIN),
        (SAMPLE_SERIES, COSTLY),
        (WHOLE_RUPEES, COSTLY),
        (OFF_TICK, COSTLY),
        (OFF_TICK, FUTURES),
    ],
    ids=["sample-plain", "sample-zerodha-slip2", "walk-ties-zerodha", "walk-offtick", "futures"],
)
@pytest.mark.parametrize("long_only", [True, False], ids=["long-only", "long-short"])
@pytest.mark.parametrize("kind", ["sma", "ema"])
def test_every_combination_of_a_grid_replays_to_the_engines_result(
    series: BarSeries, config: BacktestConfig, long_only: bool, kind: str
) -> None:
    memo: dict[Any, Any] = {}  # shared by the grid, as a sweep shares it
    trades = 0
    for fast, slow in SMALL_GRID:
        if fast >= slow:
            continue
        params = {"fast": fast, "slow": slow, "kind": kind, "long_only": long_only}
        engine = run_backtest(series, MACross(**params), config)
        assert_same(engine, replay_backtest(series, MACross(**params), config, memo))
        trades += len(engine.trades)
    assert trades > 100  # the grid trades: the comparison is not of empty runs


def test_a_window_of_a_series_replays_like_a_backtest_of_that_window() -> None:
    """Walk-forward trials run on slices: the averages start over at the slice's first bar."""
    window = OFF_TICK.slice(1_111, 2_500)
    for fast, slow in [(2, 10), (5, 24)]:
        engine = run_backtest(window, MACross(fast=fast, slow=slow), COSTLY)
        assert_same(engine, replay_backtest(window, MACross(fast=fast, slow=slow), COSTLY))


def test_a_signal_on_the_last_bar_and_a_position_left_open() -> None:
    """An order sent on the last bar never fills; a position open at the end stays open (and
    is valued at the last close) in both."""
    ends = still_open = 0
    for stop in range(400, 1_400, 13):
        series = WHOLE_RUPEES.slice(0, stop)
        for long_only in (True, False):
            strategy = MACross(fast=2, slow=5, long_only=long_only)
            engine = run_backtest(series, strategy, COSTLY)
            path = MACross.target_positions(
                {"close": series.close}, strategy.params, {}
            )  # where it decides
            ends += int(path[0].size > 0 and path[0][-1] == stop - 1)
            still_open += engine.open_position is not None
            replayed = replay_backtest(series, MACross(fast=2, slow=5, long_only=long_only), COSTLY)
            assert_same(engine, replayed)
    assert ends > 0 and still_open > 0  # both cases did occur


# -- when the replay declines, the engine runs ----------------------------------------------------


class ChattyCross(MACross):
    """Changes what it does bar by bar: its trades are not MACross's decisions."""

    def on_bar(self, bar: Any) -> None:
        super().on_bar(bar)
        if self.ctx.position.quantity > 0 and bar.close < bar.open:
            self.ctx.close()


class RenamedCross(MACross):
    """Only a name and a search space: still MACross bar by bar, so it replays."""

    name = "renamed_cross"
    search_space = {}  # type: ignore[assignment]  # noqa: RUF012


@pytest.mark.parametrize(
    ("series", "strategy", "config", "why"),
    [
        (SAMPLE_SERIES, ChattyCross(fast=5, slow=20), PLAIN, "does not state its decisions"),
        (SAMPLE_SERIES, RSIReversion(), PLAIN, "does not state its decisions"),
        (
            SAMPLE_SERIES,
            MACross(fast=5, slow=20),
            BacktestConfig(risk=default_risk(Decimal(100_000))),
            "custom risk settings",
        ),
        (
            SAMPLE_SERIES,
            MACross(fast=5, slow=20),
            BacktestConfig(paper=PaperConfig(latency_ns=90 * 1_000_000_000)),
            "latency",
        ),
        (
            SAMPLE_SERIES,
            MACross(fast=5, slow=20),
            BacktestConfig(paper=PaperConfig(partial_fill_volume_fraction=0.001)),
            "volume cap",
        ),
        (
            BarSeries(
                np.repeat(SAMPLE_SERIES.ts[::2], 2)[: len(SAMPLE_SERIES)],
                SAMPLE_SERIES.open,
                SAMPLE_SERIES.high,
                SAMPLE_SERIES.low,
                SAMPLE_SERIES.close,
                SAMPLE_SERIES.volume,
            ),
            MACross(fast=5, slow=20),
            PLAIN,
            "strictly increase",
        ),
    ],
    ids=["overridden-on_bar", "no-target_positions", "risk", "latency", "volume-cap", "same-ts"],
)
def test_what_cannot_be_replayed_runs_through_the_engine(
    series: BarSeries,
    strategy: Any,
    config: BacktestConfig,
    why: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reason = replay_reason(series, strategy, config)
    assert reason is not None and why in reason
    assert replay_backtest(series, strategy, config) is None
    # A sweep's trial falls back to the engine and reports its result.
    monkeypatch.setattr(optimize_run, "_strategy_class", lambda spec: type(strategy))
    job = SweepJob(series, "test-class", {}, config, "net_pnl")
    trial = run_trial(job, Trial(0, strategy.params, (0, len(series))))
    engine = run_backtest(series, type(strategy)(**strategy.params), config)
    assert trial.metrics == engine.metrics


def test_a_subclass_that_only_renames_is_replayed() -> None:
    strategy = RenamedCross(fast=5, slow=20)
    assert replay_reason(SAMPLE_SERIES, strategy, PLAIN) is None
    engine = run_backtest(SAMPLE_SERIES, RenamedCross(fast=5, slow=20), PLAIN)
    assert_same(engine, replay_backtest(SAMPLE_SERIES, strategy, PLAIN))


def test_bars_crowded_into_one_second_are_left_to_the_engine() -> None:
    """Two orders a bar against the default order-rate cap: a million a second."""
    crowded = BarSeries(
        np.arange(600_000, dtype=np.int64),  # 600,000 bars one nanosecond apart
        np.full(600_000, 100.0),
        np.full(600_000, 100.0),
        np.full(600_000, 100.0),
        np.full(600_000, 100.0),
        np.zeros(600_000),
    )
    reason = replay_reason(crowded, MACross(), PLAIN)
    assert reason is not None and "order-rate cap" in reason


# -- the optimiser as a whole ----------------------------------------------------------------------


def sweep_document(series: BarSeries, config: BacktestConfig, replay: bool, workers: int) -> Any:
    space = bind_space(
        MACross,
        [parse_space_item("fast=2..12:5"), parse_space_item("slow=10..40:15")],
        {},
    )
    job = SweepJob(series, "ma_cross", {"long_only": False}, config, "sharpe", replay=replay)
    done = optimise(job, space, SearchSettings("grid"), workers=workers, folds=2)
    return done.to_json_dict(), {r.number: (r.metrics, r.summary) for r in done.outcome.results}


@pytest.mark.parametrize("series", [SAMPLE_SERIES, OFF_TICK], ids=["sample", "walk"])
def test_a_replayed_sweep_reports_what_the_engine_sweep_reports(
    series: BarSeries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ranking, every result, the walk-forward folds, each trial's metrics and its stored
    summary: the same with the replay as with the engine for every trial."""
    engine = sweep_document(series, COSTLY, replay=False, workers=1)
    replays: list[bool] = []

    def counted(*args: Any) -> BacktestResult | None:
        result = replay_backtest(*args)
        replays.append(result is not None)
        return result

    monkeypatch.setattr(optimize_run, "replay_backtest", counted)
    replayed = sweep_document(series, COSTLY, replay=True, workers=1)
    assert replayed == engine
    # ... and every trial was replayed: 8 of the 3x3 grid's 9 have fast < slow, run on all
    # bars and on both folds' in-sample windows, plus each fold's best out of sample.
    assert replays == [True] * (8 * 3 + 2)
    assert not optimize_run._MEMOS  # the sweep's averages went with it


def test_replayed_trials_in_a_worker_pool_match_the_engine() -> None:
    engine = sweep_document(OFF_TICK, FUTURES, replay=False, workers=1)
    pooled = sweep_document(OFF_TICK, FUTURES, replay=True, workers=2)
    assert pooled == engine


def test_optimize_command_reports_what_backtest_prints(tmp_path: Path) -> None:
    """End to end, through both commands: each result's net P&L and Sharpe of a sweep with
    slippage and zerodha charges is what `scalpbot backtest` gives for its parameters."""
    data = write_csv(OFF_TICK, tmp_path / "walk.csv")
    common = ["--data", str(data), "--strategy", "ma_cross", "--charges", "zerodha"]
    common += ["--slippage-ticks", "1", "--tick-size", "0.05"]
    out = tmp_path / "sweep.json"
    space = ["--space", "fast=2..8:3", "--space", "slow=20..30:10", "--param", "long_only=false"]
    run(["optimize", *common, *space, "--objective", "sharpe", "--json", str(out)])
    document = json.loads(out.read_text())
    assert len(document["results"]) == 6
    for result in document["results"][:3]:
        flags = [f"--param={name}={str(value).lower()}" for name, value in result["params"].items()]
        single = tmp_path / "single.json"
        run(["backtest", *common, *flags, "--json", str(single)])
        metrics = json.loads(single.read_text())["metrics"]
        assert (result["net_pnl"], result["sharpe"]) == (metrics["net_pnl"], metrics["sharpe"])


def run(arguments: list[str]) -> None:
    command = [sys.executable, "-m", "scalpbot", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
