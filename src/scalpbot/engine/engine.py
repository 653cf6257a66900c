"""The engine: bus, clock, portfolio, risk, orders, exits and strategies wired together.

Backtest, paper and live build the same `Engine`; they differ only in the clock and the
`OrderGateway` they pass and in who feeds `on_bar`/`on_tick`. The per-bar path is kept to a few
method calls because a backtest calls it a million times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from scalpbot.domain import Bar, Fill, Instrument, Order, OrderGateway, Product, Tick, TradeRecord
from scalpbot.engine.bus import EventBus
from scalpbot.engine.clock import Clock
from scalpbot.engine.context import EngineContext, report_strategy_error
from scalpbot.engine.events import ErrorEvent
from scalpbot.engine.exits import ExitManager
from scalpbot.engine.order_manager import Journal, OrderManager
from scalpbot.engine.portfolio import Portfolio
from scalpbot.engine.risk import RiskManager
from scalpbot.engine.risk_settings import RiskSettings
from scalpbot.engine.runner import StrategyRunner
from scalpbot.engine.session_rules import EXCHANGE_RULES, SessionRules
from scalpbot.indicators import ATR
from scalpbot.market.charges import ChargesModel
from scalpbot.strategies.base import Strategy

_DAY_NS = 86_400 * 1_000_000_000
_IST_OFFSET_NS = 19_800 * 1_000_000_000


def next_ist_midnight_ns(ts_ns: int) -> int:
    """Epoch ns of the first IST midnight after `ts_ns` (the next trading-day boundary)."""
    return ((ts_ns + _IST_OFFSET_NS) // _DAY_NS + 1) * _DAY_NS - _IST_OFFSET_NS


@dataclass(frozen=True, slots=True)
class EngineSettings:
    initial_cash: Decimal = Decimal(100_000)
    product: Product = Product.MIS
    default_lots: int = 1
    id_prefix: str = "SB"
    resting_stops: bool = True
    raise_strategy_errors: bool = False


class Engine:
    def __init__(
        self,
        gateway: OrderGateway,
        clock: Clock,
        charges_model: ChargesModel,
        risk_settings: RiskSettings,
        settings: EngineSettings = EngineSettings(),
        *,
        journal: Journal | None = None,
        journal_sent: Journal | None = None,
        log: Callable[[str], None] | None = None,
        session_rules: SessionRules | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.bus = EventBus()
        self._bus_handlers = self.bus.handlers
        self.product = settings.product
        self.default_lots = settings.default_lots
        self.portfolio = Portfolio(settings.initial_cash, charges_model)
        self.orders = OrderManager(
            gateway,
            self.portfolio,
            self.bus,
            clock,
            id_prefix=settings.id_prefix,
            journal=journal,
            journal_sent=journal_sent,
        )
        self.session_rules = session_rules or EXCHANGE_RULES
        self.risk = RiskManager(
            risk_settings,
            self.portfolio,
            is_market_open=self.session_rules.is_market_open,
            is_after_square_off=self.session_rules.is_after_square_off,
            working_keys=self._working_keys,
        )
        self._flatten: set[str] = set()  # keys an emergency stop has still to flatten
        self._atrs: dict[str, ATR] = {}
        self.exits = ExitManager(
            self.orders, self.bus, self.atr, resting_stops=settings.resting_stops
        )
        self._exits_active = self.exits._active  # the same dict: truthy while exits are armed
        self.runner = StrategyRunner(
            self.bus,
            clock,
            lambda sid, exc: report_strategy_error(self, sid, exc),
            raise_errors=settings.raise_strategy_errors,
        )
        self.instruments: dict[str, Instrument] = {}
        self.contexts: dict[str, EngineContext] = {}
        self._log = log
        self._day_end_ns = -1
        self.orders.order_hooks.append(self._route_order)
        self.orders.fill_hooks.append(self._route_fill)

    def _working_keys(self) -> Iterable[str]:
        return (order.instrument.key for order in self.orders.working_orders())

    # -- wiring --------------------------------------------------------------------------------
    def add_strategy(
        self, strategy: Strategy, instrument: Instrument, strategy_id: str | None = None
    ) -> EngineContext:
        strategy_id = strategy_id or f"{strategy.strategy_name()}:{instrument.key}"
        context = EngineContext(self, strategy_id, instrument)
        strategy.ctx = context
        self.instruments[instrument.key] = instrument
        self.contexts[strategy_id] = context
        self.runner.add(strategy_id, strategy, instrument.key)
        if getattr(strategy, "uses_atr", False):
            self._atrs.setdefault(instrument.key, ATR(14))
        return context

    def track_atr(self, instrument_key: str) -> None:
        """Keep a 14-bar ATR for an instrument, for ATR-based exits."""
        self._atrs.setdefault(instrument_key, ATR(14))

    def atr(self, instrument_key: str) -> float | None:
        tracker = self._atrs.get(instrument_key)
        return tracker.value if tracker is not None else None

    def log(self, message: str) -> None:
        if self._log is not None:
            self._log(message)

    # -- market data -----------------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> float:
        """Process one completed bar; returns the mark-to-market equity after it.

        The hot path of every backtest: attribute lookups are hoisted into locals and the
        optional parts (exits, ATR, bar subscribers) cost one truth test each when unused.
        """
        if bar.ts >= self._day_end_ns:
            self._new_day(bar.ts)
        key = bar.instrument_key
        portfolio = self.portfolio
        portfolio._last[key] = bar.close
        if self._flatten:
            self._flatten_now()
        if self._exits_active:
            instrument = self.instruments.get(key)
            if instrument is not None:
                self.exits.on_price(instrument, bar.high, bar.low)
        if self._atrs:
            tracker = self._atrs.get(key)
            if tracker is not None:
                tracker.update(bar.high, bar.low, bar.close)
        self.runner.on_bar(bar)
        if self._bus_handlers.get(Bar):
            self.bus.publish(bar)
        return portfolio.update_peak()

    def on_tick(self, tick: Tick) -> None:
        if tick.ts >= self._day_end_ns:
            self._new_day(tick.ts)
        key = tick.instrument_key
        self.portfolio.mark(key, tick.last_price)
        if self._flatten:
            self._flatten_now()
        instrument = self.instruments.get(key)
        if instrument is not None and self.exits.has_active():
            self.exits.on_price(instrument, tick.last_price, tick.last_price)
        self.runner.on_tick(tick)
        if self.bus.has_subscribers(Tick):
            self.bus.publish(tick)
        self.portfolio.update_peak()

    def _new_day(self, ts_ns: int) -> None:
        first = self._day_end_ns < 0
        self._day_end_ns = next_ist_midnight_ns(ts_ns)
        if not first:
            self.portfolio.start_day()
            self.risk.start_day()

    # -- routing to strategies -----------------------------------------------------------------
    def _route_order(self, order: Order) -> None:
        self.runner.on_order(order)

    def _route_fill(self, order: Order, fill: Fill, trade: TradeRecord | None) -> None:
        if trade is not None:
            self.risk.record_closed_trade(trade.net_pnl)
        self.runner.on_fill(fill, order.strategy_id)

    # -- control ----------------------------------------------------------------------------------
    def start(self) -> None:
        self.runner.start()

    def pause(self, reason: str = "") -> None:
        self.runner.pause(reason)

    def resume(self) -> None:
        if self.risk.halted:
            self.risk.resume_entries()
        self.runner.resume()

    def stop(self, cancel_orders: bool = True) -> None:
        if cancel_orders:
            self.orders.cancel_all()
        self.runner.stop()

    def emergency_stop(self, reason: str = "emergency stop") -> None:
        """Cancel every working order, flatten every position at market, halt all entries."""
        self.risk.halt(reason)
        self.runner.halt(reason)
        self.orders.cancel_all()
        self._flatten = {k for k in self.instruments if self.portfolio.position_quantity(k)}
        self._flatten_now()

    def _flatten_now(self) -> None:
        """Send a market exit for each instrument an emergency stop must flatten and that has
        none working. One refused now (the order-rate cap, say) is sent again with the next
        market event, so an emergency stop always ends flat."""
        working = {order.instrument.key for order in self.orders.working_orders()}
        for key in list(self._flatten):
            if not self.portfolio.position_quantity(key):
                self._flatten.discard(key)
                continue
            if key in working:
                continue
            context = next((c for c in self.contexts.values() if c.instrument.key == key), None)
            if context is not None:
                context.close()
            else:
                self._flatten.discard(key)
                self.bus.publish(ErrorEvent("engine", f"cannot flatten {key}", self.clock.now_ns()))
