"""Replaying a strategy's decisions: a backtest without the bar-by-bar engine, for sweeps.

A sweep runs one strategy hundreds of times over the same bars. When the strategy can state
its decisions for the whole series at once — `target_positions`, see `TargetStrategy` — and
the run's settings leave nothing for the engine to decide, the outcome of the engine loop is
already fixed by those decisions: every decision is a market order that fills at the next
bar's open. `replay_backtest` then books exactly those fills, bar by bar in the same order,
through the engine's own `Portfolio` (so the one charges model and the one trade tracker make
every Decimal), prices them with the paper exchange's own `fill_price` (the one tick rounding,
slippage included), records equity and exposure as the runner does, and builds the result
with the runner's own `backtest_result`. Only the loop over the bars between two fills is
skipped, which is where a backtest spends its time.

It declines (returns None, and the caller runs `run_backtest`) whenever that argument would
not hold; `replay_reason` says why:

- the strategy class does not define `target_positions`, or a subclass changes behaviour
  (defines methods other than `validate`) below the class that does;
- `target_positions` returns None for these parameters;
- a custom `RiskSettings` (the default ones never refuse such orders: no market-hours,
  square-off or price-band rule, no loss or size limit, and an order-rate cap checked below);
- paper latency or a volume cap (a fill could then come later, or in parts);
- timestamps that do not strictly increase (an order must meet the very next bar), or so
  many bars within one second that two orders a bar could reach the order-rate cap;
- an empty series.

tests/test_sweep_parity.py holds replay and engine to identical results — every trade,
every equity value, every metric — over grids with slippage and zerodha charges.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, MutableMapping
from decimal import Decimal
from typing import Any, Final, Protocol, cast

import numpy as np
import numpy.typing as npt

from scalpbot.backtest.result import BacktestResult
from scalpbot.backtest.runner import BacktestConfig, backtest_result, default_risk, order_lots
from scalpbot.brokers.paper.matching import fill_price
from scalpbot.data.series import BarSeries
from scalpbot.domain import Fill, Side
from scalpbot.engine.portfolio import Portfolio
from scalpbot.market.charges import charges_model
from scalpbot.strategies import Param, Strategy

__all__ = ["TargetStrategy", "replay_backtest", "replay_reason"]

NS_PER_SECOND: Final = 1_000_000_000
ORDERS_PER_BAR: Final = 2
"""A reversal is a close and an entry on one bar; no decision sends more."""
_TIMELINE: Final = ("scalpbot.backtest.replay", "timeline")
"""The memo entry of the series' timeline checks (a key no strategy would choose)."""
_INERT: Final = frozenset({"name", "description", "search_space", "validate"})
"""What a subclass of a replayable strategy may define and still be replayed: parameters,
labels, its search space and `validate` (which runs when the strategy is built, before any
replay). Anything else might change what the strategy does bar by bar."""


class TargetStrategy(Protocol):
    """A strategy that can state its decisions for a whole series.

    `target_positions(columns, params, memo)` gets the series' columns (`ts`, `open`, `high`,
    `low`, `close`, `volume`: numpy arrays), the strategy's parameters and a dict that lives
    as long as this series (window) does, to keep work shared by many parameter combinations
    (an average of one window, say). It returns `(bars, targets)`: increasing bar indices, and
    at each the position the strategy's `on_bar` brings itself to on that bar, in order
    quantities: 1 long, 0 flat, -1 short. Or None when it cannot for these parameters.

    The contract is that the event-driven strategy does exactly this: on bar `bars[i]` it
    closes a position on the wrong side with a market order, then enters `targets[i]` with a
    market order of the default quantity, and sends nothing else. The engine then fills both
    at the next bar's open, before the strategy sees that bar, so each decision meets the
    position the previous ones left.
    """

    @classmethod
    def target_positions(
        cls,
        columns: Mapping[str, npt.NDArray[Any]],
        params: Mapping[str, Any],
        memo: MutableMapping[Hashable, Any],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int8]] | None: ...


def replay_reason(
    series: BarSeries,
    strategy: Strategy,
    config: BacktestConfig,
    memo: MutableMapping[Hashable, Any] | None = None,
) -> str | None:
    """Why this run cannot be replayed, or None if it can (`target_positions` may still
    decline for its parameters)."""
    if not _replayable_class(type(strategy)):
        return f"{type(strategy).__name__} does not state its decisions (target_positions)"
    if config.risk is not None:
        return "custom risk settings may refuse orders"
    paper = config.paper
    if paper.latency_ns or paper.partial_fill_volume_fraction is not None:
        return "paper latency or a volume cap can delay or split fills"
    if not len(series):
        return "no bars"
    memo = {} if memo is None else memo
    timeline = memo.get(_TIMELINE)
    if timeline is None:
        timeline = memo[_TIMELINE] = _timeline(series.ts)
    steady, busiest = timeline
    if not steady:
        return "timestamps do not strictly increase"
    if ORDERS_PER_BAR * busiest > default_risk(config.cash).max_orders_per_second:
        return f"{busiest:,} bars within one second could reach the order-rate cap"
    return None


def replay_backtest(
    series: BarSeries,
    strategy: Strategy,
    config: BacktestConfig,
    memo: MutableMapping[Hashable, Any] | None = None,
) -> BacktestResult | None:
    """The result `run_backtest(series, strategy, config)` would return, or None when this
    run cannot be replayed (see the module docstring). `memo` is shared by replays over the
    same `series`: the strategy keeps its per-series work there."""
    memo = {} if memo is None else memo
    if replay_reason(series, strategy, config, memo) is not None:
        return None
    lots = order_lots(config)  # the same errors, in the same order, as run_backtest
    portfolio = Portfolio(config.cash, charges_model(config.charges))
    columns = {
        "ts": series.ts,
        "open": series.open,
        "high": series.high,
        "low": series.low,
        "close": series.close,
        "volume": series.volume,
    }
    replayable = cast(TargetStrategy, type(strategy))  # checked by replay_reason
    path = replayable.target_positions(columns, strategy.params, memo)
    if path is None:
        return None
    bars, targets = path
    quantity = lots * config.instrument.lot_size
    fill_bars, cash, held = _book(series, config, portfolio, bars, targets, quantity)
    size = len(series)
    cash_per_bar, held_per_bar = _per_bar(size, fill_bars, cash, held, portfolio.initial_cash)
    # What the engine returns after each bar: cash (a float) plus position x close, the
    # product added only when a position is open. x + 0.0 is x, so one formula does both.
    equity = cash_per_bar + held_per_bar * series.close
    in_market = held_per_bar != 0
    portfolio.mark(config.instrument.key, float(series.close[-1]))
    return backtest_result(series, strategy, config, portfolio, equity, in_market)


def _book(
    series: BarSeries,
    config: BacktestConfig,
    portfolio: Portfolio,
    bars: npt.NDArray[np.int64],
    targets: npt.NDArray[np.int8],
    quantity: int,
) -> tuple[list[int], list[float], list[int]]:
    """Book the fills of each decision; per bar with fills: the bar, then the portfolio's
    cash (the float the engine adds to) and the signed position after them."""
    instrument = config.instrument
    tick = instrument.tick_size
    slippage = config.paper.slippage_ticks
    product = config.product
    key = instrument.key
    last_bar = len(series) - 1
    opens = series.open
    stamps = series.ts
    prices: dict[tuple[float, bool], Decimal] = {}
    fill_bars: list[int] = []
    cash: list[float] = []
    held_after: list[int] = []
    held = 0  # in order quantities
    sent = 0
    for bar, target in zip(bars.tolist(), targets.tolist(), strict=True):
        if target not in (-1, 0, 1):
            raise ValueError(f"target_positions gave {target} at bar {bar}: use -1, 0 or 1")
        if target == held:
            continue
        if bar >= last_bar:
            break  # an order on the last bar never fills: the run ends and cancels it
        at = bar + 1
        base = float(opens[at])
        ts = int(stamps[at])
        legs: list[tuple[Side, int]] = []
        if held:
            legs.append((Side.SELL if held > 0 else Side.BUY, abs(held) * quantity))
        if target:
            legs.append((Side.BUY if target > 0 else Side.SELL, quantity))
        for side, size in legs:
            is_buy = side is Side.BUY
            price = prices.get((base, is_buy))
            if price is None:
                price = prices[(base, is_buy)] = fill_price(base, None, tick, is_buy, slippage)
            sent += 1
            portfolio.apply_fill(
                Fill(f"RF{sent:07d}", f"R{sent:07d}", instrument, side, size, price, ts, product)
            )
        held = target
        fill_bars.append(at)
        cash.append(portfolio._cash_float)
        held_after.append(portfolio.position_quantity(key))
    return fill_bars, cash, held_after


def _per_bar(
    size: int, fill_bars: list[int], cash: list[float], held: list[int], initial: Decimal
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Cash and position at the end of every bar: each fill bar's values held until the next."""
    if not fill_bars:
        return np.full(size, float(initial)), np.zeros(size, dtype=np.int64)
    edges = np.array([*fill_bars, size], dtype=np.int64)
    runs = np.diff(edges)
    before = int(edges[0])
    cash_per_bar = np.concatenate(
        (np.full(before, float(initial)), np.repeat(np.array(cash, dtype=np.float64), runs))
    )
    held_per_bar = np.concatenate(
        (np.zeros(before, dtype=np.int64), np.repeat(np.array(held, dtype=np.int64), runs))
    )
    return cash_per_bar, held_per_bar


def _timeline(ts: npt.NDArray[np.int64]) -> tuple[bool, int]:
    """(timestamps strictly increase, most bars within any one second)."""
    if ts.size < 2:
        return True, int(ts.size)
    steady = bool((np.diff(ts) > 0).all())
    first_inside = np.searchsorted(ts, ts - NS_PER_SECOND, side="right")
    busiest = int((np.arange(ts.size) - first_inside).max()) + 1
    return steady, busiest


def _replayable_class(cls: type) -> bool:
    """True if `cls` has `target_positions` and nothing below the class that defines it
    changes behaviour."""
    for klass in cls.__mro__:
        attributes = vars(klass)
        if "target_positions" in attributes:
            return True
        for attr, value in attributes.items():
            if attr in _INERT or isinstance(value, Param):
                continue
            if attr.startswith("__") and attr.endswith("__") and not callable(value):
                continue  # __module__, __doc__, __qualname__ ...
            return False
    return False
