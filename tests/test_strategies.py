"""Built-in strategies, declared parameters and loading a user's strategy file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from engine_harness import INSTRUMENT, MINUTE, T0, make_harness
from scalpbot.backtest.runner import BacktestConfig, run_backtest
from scalpbot.data import load_bars, sample_path
from scalpbot.data.series import BarSeries
from scalpbot.domain import ConfigError
from scalpbot.strategies import BUILTINS, create_strategy, load_strategy_class


def closes_to_bars(h: object, closes: list[float]) -> None:
    for close in closes:
        h.bar(close, close, close, close)  # type: ignore[attr-defined]


def entries(h: object) -> list[tuple[str, int]]:
    orders = h.engine.orders.orders.values()  # type: ignore[attr-defined]
    return [(o.side.value, o.created_ts) for o in orders]


def test_ma_cross_ties_neither_create_nor_hide_a_cross() -> None:
    # fast=1 (the close itself), slow=2: fast - slow = (c[t] - c[t-1]) / 2.
    strategy = create_strategy("ma_cross", {"fast": 1, "slow": 2, "long_only": False})
    h = make_harness(strategy)
    # diffs: -, 0 (tie), + → one cross up at the third close; then +, 0, + → no new cross;
    # then - → cross down.
    closes_to_bars(h, [10, 9, 9, 10, 11, 11, 12, 11])
    signals = [(side, (ts - T0) // MINUTE) for side, ts in entries(h)]
    assert signals == [("BUY", 3), ("SELL", 7), ("SELL", 7)]


def test_ma_cross_long_only_only_exits_on_a_down_cross() -> None:
    strategy = create_strategy("ma_cross", {"fast": 1, "slow": 2, "long_only": True})
    h = make_harness(strategy)
    closes_to_bars(h, [10, 9, 10, 9, 10])
    signals = [(side, (ts - T0) // MINUTE) for side, ts in entries(h)]
    assert signals == [("BUY", 2), ("SELL", 3), ("BUY", 4)]


@pytest.mark.parametrize(
    ("spec", "params", "message"),
    [
        ("ma_cross", {"fast": 30, "slow": 10}, "fast \\(30\\) must be below slow \\(10\\)"),
        ("ma_cross", {"fats": 3}, "no parameter fats"),
        ("ma_cross", {"fast": "ten"}, "parameter 'fast': 'ten' is not a valid int"),
        ("ma_cross", {"kind": "wma"}, "'wma' is not one of sma, ema"),
        ("ma_cross", {"fast": 0}, "below the minimum"),
        ("rsi_reversion", {"oversold": 45, "exit_level": 40}, "oversold < exit_level"),
        ("nope", {}, "unknown strategy 'nope'"),
    ],
)
def test_bad_parameters_are_named(spec: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_strategy(spec, params)


def test_parameter_schema_describes_every_builtin() -> None:
    for cls in BUILTINS.values():
        schema = cls.param_schema()
        assert schema and all({"name", "type", "default"} <= set(item) for item in schema)
    fast = next(p for p in BUILTINS["ma_cross"].param_schema() if p["name"] == "fast")
    assert fast == {
        "name": "fast",
        "type": "int",
        "default": 10,
        "low": 1,
        "high": 500,
        "step": 1,
        "doc": "bars in the fast average (1: the price)",
    }


def test_user_strategy_file_is_loaded(tmp_path: Path) -> None:
    source = tmp_path / "mine.py"
    source.write_text(
        "from scalpbot.strategies import IntParam, Strategy\n"
        "class Every(Strategy):\n"
        "    every = IntParam(3, low=1)\n"
        "    def on_start(self):\n"
        "        self.n = 0\n"
        "    def on_bar(self, bar):\n"
        "        self.n += 1\n"
        "        if self.n % self.every == 0:\n"
        "            self.ctx.close() if self.ctx.position.quantity else self.ctx.buy()\n"
    )
    cls = load_strategy_class(f"{source}:Every")
    h = make_harness(cls(every=2))
    closes_to_bars(h, [100.0] * 6)
    assert [side for side, _ in entries(h)] == ["BUY", "SELL", "BUY"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("missing.py:X", "strategy file not found"),
        ("{path}:Nope", "has no Strategy subclass named 'Nope'"),
        ("{bad}:X", "failed to import"),
    ],
)
def test_user_strategy_errors_are_clear(tmp_path: Path, spec: str, message: str) -> None:
    good = tmp_path / "good.py"
    good.write_text("X = 1\n")
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('broken on import')\n")
    with pytest.raises(ConfigError, match=message):
        load_strategy_class(spec.format(path=good, bad=bad))


@pytest.mark.parametrize(
    ("spec", "params"),
    [
        ("rsi_reversion", {"long_only": False, "stop_pct": 0.5}),
        ("breakout", {"mode": "donchian", "period": 20}),
        ("ma_cross", {"kind": "ema", "long_only": False}),
    ],
)
def test_builtins_trade_the_sample(spec: str, params: dict[str, object]) -> None:
    series = load_bars(sample_path("2006-min-005.txt"))
    result = run_backtest(series, create_strategy(spec, params), BacktestConfig(charges="zerodha"))
    assert len(result.trades) > 5
    for trade in result.trades:
        assert trade.entry_ts <= trade.exit_ts
        assert trade.charges > 0
    realised = sum((t.net_pnl for t in result.trades), Decimal(0))
    assert result.metrics["net_pnl"] == pytest.approx(float(realised), abs=0.01)


def test_opening_range_breakout_trades_once_a_day_with_a_stop_at_the_range() -> None:
    # Two IST sessions of 1-minute bars: a 15-minute range of 100..102, then a break upwards.
    rows: list[tuple[int, float, float, float, float]] = []
    for day in range(2):
        start = T0 + day * 86_400_000_000_000
        for minute in range(60):
            ts = start + minute * MINUTE
            if minute < 15:
                rows.append((ts, 101, 102, 100, 101))
            else:
                level = 101 + (minute - 14) * 0.5
                rows.append((ts, level, level + 0.2, level - 0.2, level))
    columns = np.array(rows, dtype=np.float64)
    series = BarSeries(
        columns[:, 0].astype(np.int64),
        columns[:, 1],
        columns[:, 2],
        columns[:, 3],
        columns[:, 4],
        np.full(len(rows), 1000.0),
    )
    series.ts = np.array([r[0] for r in rows], dtype=np.int64)
    strategy = create_strategy(
        "breakout", {"mode": "opening_range", "range_minutes": 15, "exit_time": 1000}
    )
    result = run_backtest(series, strategy, BacktestConfig(instrument=INSTRUMENT, charges="none"))
    assert len(result.trades) == 2  # one per day, closed at 10:00
    for trade in result.trades:
        assert trade.side == "BUY"
        assert trade.exit_price > trade.entry_price
