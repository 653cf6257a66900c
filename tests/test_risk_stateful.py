"""Risk under pressure: hypothesis drives a real engine over the paper exchange with random
orders, closes, price moves and emergency stops, and checks after every step that the limits
hold: open positions never above the cap, never more orders in a second than the rate cap, no
new entry once the day's loss limit is hit, and an emergency stop always ends flat with no
working orders."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from scalpbot.brokers.paper import PaperConfig, PaperExchange
from scalpbot.domain import Bar, Exchange, Instrument, Order
from scalpbot.engine.clock import SimulatedClock
from scalpbot.engine.engine import Engine, EngineSettings
from scalpbot.engine.risk_settings import RiskSettings
from scalpbot.market.charges import NoCharges
from scalpbot.strategies import Strategy

MINUTE = 60_000_000_000
T0 = 1_748_835_900_000_000_000  # 2025-06-02 09:15 IST
SYMBOLS = ("AAA", "BBB", "CCC")
MAX_POSITIONS = 2
RATE = 3
LOSS_LIMIT = Decimal(2_000)


class Idle(Strategy):
    """Does nothing by itself: the state machine trades through its context."""

    name = "idle"


class RiskMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.clock = SimulatedClock(T0)
        self.exchange = PaperExchange(PaperConfig())
        self.engine = Engine(
            self.exchange,
            self.clock,
            NoCharges(),
            RiskSettings(
                capital=Decimal(1_000_000),
                max_open_positions=MAX_POSITIONS,
                max_orders_per_second=RATE,
                daily_loss_limit=LOSS_LIMIT,
                enforce_market_hours=False,
                enforce_square_off=False,
                price_band_pct=None,
            ),
            EngineSettings(initial_cash=Decimal(1_000_000), default_lots=1),
        )
        self.instruments = {
            s: Instrument(Exchange.NSE, s, tick_size=Decimal("0.05")) for s in SYMBOLS
        }
        self.contexts = {}
        for symbol, instrument in self.instruments.items():
            self.contexts[symbol] = self.engine.add_strategy(Idle(), instrument)
        self.prices = dict.fromkeys(SYMBOLS, 1000.0)
        self.minute = 0
        self.sent: list[tuple[int, Order]] = []  # (clock ns, order) accepted by risk
        self.breaches: list[str] = []
        self.engine.orders.order_hooks.append(self._watch)
        self.engine.start()
        self._bar_all()

    def _watch(self, order: Order) -> None:
        """Every order that got past risk reaches the manager's hooks with its first update."""

    def _bar_all(self) -> None:
        self.minute += 1
        ts = T0 + self.minute * MINUTE
        self.clock.set(ts)
        for symbol in SYMBOLS:
            p = self.prices[symbol]
            bar = Bar(self.instruments[symbol].key, ts, p, p * 1.001, p * 0.999, p, 1e6)
            self.exchange.on_bar(bar)
            self.engine.on_bar(bar)

    def _submit(self, symbol: str, buy: bool, quantity: int) -> None:
        ctx = self.contexts[symbol]
        before = ctx.position.quantity
        day_loss = -self.engine.portfolio.day_pnl
        order = ctx.buy(quantity) if buy else ctx.sell(quantity)
        if order is None:
            return
        self.sent.append((self.clock.now_ns(), order))
        reduces = before != 0 and (before > 0) != buy and quantity <= abs(before)
        if day_loss >= LOSS_LIMIT and not reduces:
            self.breaches.append(f"entry {order.client_order_id} after the loss limit")

    @rule(symbol=st.sampled_from(SYMBOLS), buy=st.booleans(), quantity=st.integers(1, 50))
    def order(self, symbol: str, buy: bool, quantity: int) -> None:
        self._submit(symbol, buy, quantity)

    @rule(symbol=st.sampled_from(SYMBOLS))
    def close(self, symbol: str) -> None:
        self.contexts[symbol].close()

    @rule(moves=st.lists(st.floats(-0.08, 0.08), min_size=3, max_size=3))
    def next_minute(self, moves: list[float]) -> None:
        for symbol, move in zip(SYMBOLS, moves, strict=True):
            self.prices[symbol] = max(10.0, round(self.prices[symbol] * (1 + move), 2))
        self._bar_all()

    @rule(seconds=st.integers(0, 2))
    def same_minute_burst(self, seconds: int) -> None:
        """Several orders in the same clock second: the rate cap must hold."""
        self.clock.set(self.clock.now_ns() + seconds * 1_000_000_000)
        for symbol in SYMBOLS:
            self._submit(symbol, True, 1)

    @precondition(lambda self: self.engine.runner.state == "running")
    @rule()
    def emergency_stop(self) -> None:
        self.engine.emergency_stop("test")
        for _ in range(3):  # a flatten refused by the rate cap goes again with the next bar
            self._bar_all()
        open_positions = [p for p in self.engine.portfolio.positions() if not p.is_flat]
        working = list(self.engine.orders.working_orders())
        if open_positions or working:
            self.breaches.append(f"after an emergency stop: {open_positions} {working}")

    @invariant()
    def positions_within_the_cap(self) -> None:
        if not hasattr(self, "engine"):
            return
        assert self.engine.portfolio.open_position_count() <= MAX_POSITIONS

    @invariant()
    def order_rate_within_the_cap(self) -> None:
        if not hasattr(self, "engine"):
            return
        now = self.clock.now_ns()
        recent = [o for ts, o in self.sent if now - ts < 1_000_000_000]
        assert len(recent) <= RATE

    @invariant()
    def no_breach(self) -> None:
        if hasattr(self, "breaches"):
            assert not self.breaches, self.breaches


RiskMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
test_risk_limits_hold_under_random_events = RiskMachine.TestCase
