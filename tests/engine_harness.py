"""A real engine over the real paper exchange, driven bar by bar (this module holds no tests).

`Scripted` is the tests' own strategy: on bar i it runs the action given for i, so a scenario
reads as a table of bars and what the strategy does on each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from scalpbot.brokers.paper import PaperConfig, PaperExchange
from scalpbot.domain import Bar, Exchange, Instrument
from scalpbot.engine.clock import SimulatedClock
from scalpbot.engine.engine import Engine, EngineSettings
from scalpbot.engine.events import ErrorEvent, ExitTriggeredEvent, RiskRejectedEvent
from scalpbot.engine.risk_settings import RiskSettings
from scalpbot.market.charges import NoCharges
from scalpbot.strategies import Strategy
from scalpbot.strategies.base import StrategyContext

INSTRUMENT = Instrument(Exchange.NSE, "TEST", tick_size=Decimal("0.05"))
MINUTE = 60_000_000_000
T0 = 1_748_835_900_000_000_000  # 2025-06-02 09:15 IST

Action = Callable[[StrategyContext], Any]


class Scripted(Strategy):
    name = "scripted"

    def __init__(self, actions: dict[int, Action] | None = None) -> None:
        super().__init__()
        self.actions = actions or {}
        self.bars_seen = 0
        self.fills: list[Any] = []
        self.orders: list[Any] = []
        self.results: dict[int, Any] = {}

    def on_bar(self, bar: Bar) -> None:
        action = self.actions.get(self.bars_seen)
        if action is not None:
            self.results[self.bars_seen] = action(self.ctx)
        self.bars_seen += 1

    def on_fill(self, fill: Any) -> None:
        self.fills.append(fill)

    def on_order(self, order: Any) -> None:
        self.orders.append(order)


@dataclass
class Harness:
    engine: Engine
    exchange: PaperExchange
    clock: SimulatedClock
    strategy: Strategy
    rejections: list[RiskRejectedEvent] = field(default_factory=list)
    exits: list[ExitTriggeredEvent] = field(default_factory=list)
    errors: list[ErrorEvent] = field(default_factory=list)
    index: int = 0

    def bar(self, o: float, h: float, lo: float, c: float, volume: float = 1000.0) -> float:
        bar = Bar(INSTRUMENT.key, T0 + self.index * MINUTE, o, h, lo, c, volume)
        self.index += 1
        self.clock.set(bar.ts)
        self.exchange.on_bar(bar)
        return self.engine.on_bar(bar)

    def bars(self, rows: list[tuple[float, float, float, float]]) -> None:
        for row in rows:
            self.bar(*row)

    @property
    def position(self) -> int:
        return self.engine.portfolio.position_quantity(INSTRUMENT.key)

    def working(self) -> list[Any]:
        return list(self.engine.orders.working_orders())


def make_harness(
    strategy: Strategy | None = None,
    *,
    risk: dict[str, Any] | None = None,
    resting_stops: bool = True,
    raise_errors: bool = True,
    lots: int = 10,
    start: bool = True,
) -> Harness:
    clock = SimulatedClock(T0)
    exchange = PaperExchange(PaperConfig())
    settings: dict[str, Any] = {
        "capital": Decimal(1_000_000),
        "enforce_market_hours": False,
        "enforce_square_off": False,
        "price_band_pct": None,
    }
    settings.update(risk or {})
    engine = Engine(
        exchange,
        clock,
        NoCharges(),
        RiskSettings(**settings),
        EngineSettings(
            initial_cash=Decimal(1_000_000),
            default_lots=lots,
            resting_stops=resting_stops,
            raise_strategy_errors=raise_errors,
        ),
    )
    strategy = strategy or Scripted()
    engine.add_strategy(strategy, INSTRUMENT)
    harness = Harness(engine, exchange, clock, strategy)
    engine.bus.subscribe(RiskRejectedEvent, harness.rejections.append)
    engine.bus.subscribe(ExitTriggeredEvent, harness.exits.append)
    engine.bus.subscribe(ErrorEvent, harness.errors.append)
    if start:
        engine.start()
    return harness
