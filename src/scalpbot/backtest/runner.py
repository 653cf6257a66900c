"""The backtest runner: drives the engine over a bar series with a simulated clock.

The loop is the product's hot path: a million bars should take seconds. It walks the columns in
chunks (`tolist` of a chunk is far cheaper than indexing numpy scalars one by one), updates one
`Bar` in place, lets the paper exchange match resting orders against the bar (so orders placed
on bar t's close fill from bar t+1), then hands the bar to the engine and records equity.
Nothing else is allocated per bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from scalpbot.backtest.metrics import compute_metrics
from scalpbot.backtest.result import BacktestResult, OpenPosition
from scalpbot.brokers.paper import PaperConfig, PaperExchange
from scalpbot.data.series import BarSeries
from scalpbot.domain import Bar, ConfigError, Exchange, Instrument, InstrumentType, Product
from scalpbot.engine.clock import SimulatedClock
from scalpbot.engine.engine import Engine, EngineSettings
from scalpbot.engine.portfolio import Portfolio
from scalpbot.engine.risk_settings import RiskSettings
from scalpbot.market.charges import charges_model
from scalpbot.strategies.base import Strategy

CHUNK = 65_536
Progress = Callable[[int], object]


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """How to run one backtest. Risk limits default to off except the ones a backtest of
    generic data can honour (no market-hours rules: the data may be from anywhere)."""

    instrument: Instrument = field(
        default_factory=lambda: Instrument(
            Exchange.NSE, "DATA", InstrumentType.EQ, tick_size=Decimal("0.01")
        )
    )
    cash: Decimal = Decimal(100_000)
    quantity: int = 1
    charges: str = "zerodha"
    product: Product = Product.MIS
    paper: PaperConfig = field(default_factory=PaperConfig)
    risk: RiskSettings | None = None


def default_risk(cash: Decimal) -> RiskSettings:
    return RiskSettings(
        capital=cash,
        enforce_market_hours=False,
        enforce_square_off=False,
        price_band_pct=None,
        max_orders_per_second=1_000_000,
    )


def run_backtest(
    series: BarSeries,
    strategy: Strategy,
    config: BacktestConfig = BacktestConfig(),
    progress: Progress | None = None,
) -> BacktestResult:
    """Run `strategy` over `series`; `progress(n)` is called with bars done per chunk."""
    instrument = config.instrument
    lots = order_lots(config)
    clock = SimulatedClock()
    exchange = PaperExchange(config.paper)
    engine = Engine(
        exchange,
        clock,
        charges_model(config.charges),
        config.risk or default_risk(config.cash),
        EngineSettings(
            initial_cash=config.cash,
            product=config.product,
            default_lots=lots,
            raise_strategy_errors=True,
        ),
    )
    engine.add_strategy(strategy, instrument)
    count = len(series)
    equity = np.empty(count, dtype=np.float64)
    in_market = np.zeros(count, dtype=np.bool_)
    key = instrument.key
    bar = Bar(key, 0, 0.0, 0.0, 0.0, 0.0, 0.0)
    portfolio = engine.portfolio
    on_exchange_bar = exchange.on_bar
    on_engine_bar = engine.on_bar
    engine.start()
    index = 0
    for start in range(0, count, CHUNK):
        stop = min(start + CHUNK, count)
        columns = zip(
            series.ts[start:stop].tolist(),
            series.open[start:stop].tolist(),
            series.high[start:stop].tolist(),
            series.low[start:stop].tolist(),
            series.close[start:stop].tolist(),
            series.volume[start:stop].tolist(),
            strict=True,
        )
        open_qty = portfolio._open_qty
        for ts, o, h, lo, c, v in columns:
            bar.ts = ts
            bar.open = o
            bar.high = h
            bar.low = lo
            bar.close = c
            bar.volume = v
            clock.ts = ts
            on_exchange_bar(bar)
            equity[index] = on_engine_bar(bar)
            if open_qty:
                in_market[index] = True
            index += 1
        if progress is not None:
            progress(stop - start)
    engine.stop(cancel_orders=True)
    return backtest_result(series, strategy, config, engine.portfolio, equity, in_market)


def order_lots(config: BacktestConfig) -> int:
    """Lots per order: `config.quantity` in whole lots, or a ConfigError saying why not."""
    instrument = config.instrument
    lots, remainder = divmod(config.quantity, instrument.lot_size)
    if remainder or lots < 1:
        raise ConfigError(
            f"quantity {config.quantity} is not a positive multiple of the lot size "
            f"{instrument.lot_size} of {instrument.key}"
        )
    return lots


def backtest_result(
    series: BarSeries,
    strategy: Strategy,
    config: BacktestConfig,
    portfolio: Portfolio,
    equity: np.ndarray,
    in_market: np.ndarray,
) -> BacktestResult:
    """The result of a finished run from its portfolio and its per-bar equity and exposure
    (shared with `backtest.replay`, so both build it the same way)."""
    key = config.instrument.key
    open_position = None
    held = portfolio.position_quantity(key)
    entry = portfolio.open_trade_entry(key)
    if held and entry is not None:
        open_position = OpenPosition(
            entry_ts=entry[0],
            entry_price=entry[1],
            quantity=abs(held),
            side="BUY" if held > 0 else "SELL",
        )
    final_equity = portfolio.equity() if len(series) else config.cash
    trades = list(portfolio.trades)
    metrics = compute_metrics(
        series.ts, equity, in_market, trades, config.cash, portfolio.total_charges
    )
    return BacktestResult(
        strategy=strategy.strategy_name(),
        params=strategy.params,
        instrument_key=key,
        bars=series,
        trades=trades,
        open_position=open_position,
        equity=equity,
        in_market=in_market,
        initial_cash=config.cash,
        final_equity=final_equity.quantize(Decimal("0.01")),
        total_charges=portfolio.total_charges,
        metrics=metrics,
    )
