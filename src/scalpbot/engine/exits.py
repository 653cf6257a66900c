"""Managed exits: stop-loss, target and trailing stop attached to an entry, one-cancels-other.

When an entry fills, the engine places the protective legs for the filled quantity: the stop as
a resting SL-M order at the broker (when the gateway supports stop orders; otherwise it is
watched on every bar/tick and a market exit is sent when crossed) and the target as a resting
LIMIT. When one leg fills, the other is cancelled in the same callback. A trailing stop follows
the best price since entry and moves the stop leg, only ever towards profit, after each bar or
tick — so in bar mode a bar's own high never tightens a stop that this same bar could hit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from scalpbot.domain import Fill, Instrument, Order, OrderType, Side, TradeRecord
from scalpbot.engine.bus import EventBus
from scalpbot.engine.events import ExitTriggeredEvent
from scalpbot.engine.order_manager import OrderManager
from scalpbot.market.ticks import round_to_tick
from scalpbot.strategies.exits import ExitOffset

AtrLookup = Callable[[str], float | None]


@dataclass(slots=True)
class Bracket:
    """The exits of one entry order and the legs placed for them."""

    entry: Order
    stop: ExitOffset | None
    target: ExitOffset | None
    trailing: ExitOffset | None
    stop_order: Order | None = None
    target_order: Order | None = None
    stop_price: Decimal | None = None
    target_price: Decimal | None = None
    trail_distance: float = 0.0
    best_price: float = 0.0
    armed: bool = False  # legs placed (entry filled)
    done: bool = False

    @property
    def direction(self) -> int:
        return self.entry.side.sign


class ExitManager:
    def __init__(
        self,
        orders: OrderManager,
        bus: EventBus,
        atr_lookup: AtrLookup,
        *,
        resting_stops: bool = True,
    ) -> None:
        self.orders = orders
        self.bus = bus
        self.atr_lookup = atr_lookup
        self.resting_stops = resting_stops
        self._by_entry: dict[str, Bracket] = {}
        self._by_leg: dict[str, Bracket] = {}
        self._active: dict[str, list[Bracket]] = {}  # instrument key → armed brackets
        orders.fill_hooks.append(self._on_fill)
        orders.order_hooks.append(self._on_order)

    def attach(
        self,
        entry: Order,
        stop: ExitOffset | None,
        target: ExitOffset | None,
        trailing: ExitOffset | None,
    ) -> None:
        if stop is None and target is None and trailing is None:
            return
        self._by_entry[entry.client_order_id] = Bracket(entry, stop, target, trailing)

    def has_active(self) -> bool:
        return bool(self._active)

    def cancel_for(self, instrument_key: str) -> None:
        """Withdraw every exit leg of an instrument (the strategy is closing it itself)."""
        for bracket in self._active.pop(instrument_key, []):
            bracket.done = True
            for leg in (bracket.stop_order, bracket.target_order):
                if leg is not None:
                    self.orders.cancel(leg)
        for key, bracket in list(self._by_entry.items()):
            if bracket.entry.instrument.key == instrument_key:
                del self._by_entry[key]

    # -- fills and order changes -----------------------------------------------------------------
    def _on_fill(self, order: Order, fill: Fill, trade: TradeRecord | None) -> None:
        bracket = self._by_entry.get(order.client_order_id)
        if bracket is not None:
            if not order.is_working:
                self._arm(bracket)
            return
        bracket = self._by_leg.get(order.client_order_id)
        if bracket is None or bracket.done:
            return
        sibling = bracket.target_order if order is bracket.stop_order else bracket.stop_order
        kind = "stop" if order is bracket.stop_order else "target"
        if order is bracket.stop_order and bracket.trailing is not None:
            kind = "trailing" if bracket.stop_price != self._initial_stop(bracket) else "stop"
        self.bus.publish(
            ExitTriggeredEvent(bracket.entry.client_order_id, kind, fill.price, fill.ts)
        )
        if sibling is not None and sibling.is_working:
            if order.is_working:
                self.orders.modify(
                    sibling, quantity=sibling.filled_quantity + order.remaining_quantity
                )
            else:
                self.orders.cancel(sibling)
        if not order.is_working:
            self._finish(bracket)

    def _on_order(self, order: Order) -> None:
        """An entry cancelled after a partial fill still gets its filled part protected."""
        if order.is_working:
            return
        bracket = self._by_entry.get(order.client_order_id)
        if bracket is not None and not bracket.armed:
            if order.filled_quantity:
                self._arm(bracket)
            else:
                del self._by_entry[order.client_order_id]

    # -- placing legs ----------------------------------------------------------------------------
    def _initial_stop(self, bracket: Bracket) -> Decimal | None:
        entry = bracket.entry
        tick = entry.instrument.tick_size
        reference = float(entry.average_price)
        atr_value = self.atr_lookup(entry.instrument.key)
        candidates: list[float] = []
        for offset in (bracket.stop, bracket.trailing):
            if offset is not None:
                candidates.append(
                    reference - bracket.direction * offset.distance(reference, atr_value)
                )
        if not candidates:
            return None
        level = max(candidates) if bracket.direction > 0 else min(candidates)
        return round_to_tick(level, tick)

    def _arm(self, bracket: Bracket) -> None:
        entry = bracket.entry
        bracket.armed = True
        del self._by_entry[entry.client_order_id]
        quantity = entry.filled_quantity
        instrument = entry.instrument
        exit_side = entry.side.opposite
        reference = float(entry.average_price)
        bracket.best_price = reference
        atr_value = self.atr_lookup(instrument.key)
        if bracket.trailing is not None:
            bracket.trail_distance = bracket.trailing.distance(reference, atr_value)
        bracket.stop_price = self._initial_stop(bracket)
        if bracket.target is not None:
            distance = bracket.target.distance(reference, atr_value)
            bracket.target_price = round_to_tick(
                reference + bracket.direction * distance, instrument.tick_size
            )
            bracket.target_order = self._leg(
                entry, exit_side, quantity, OrderType.LIMIT, bracket.target_price, None, "target"
            )
            self._by_leg[bracket.target_order.client_order_id] = bracket
        if bracket.stop_price is not None and self.resting_stops:
            bracket.stop_order = self._leg(
                entry, exit_side, quantity, OrderType.SL_M, None, bracket.stop_price, "stop"
            )
            self._by_leg[bracket.stop_order.client_order_id] = bracket
        self._active.setdefault(instrument.key, []).append(bracket)
        for leg in (bracket.target_order, bracket.stop_order):
            if leg is not None and not bracket.done:
                self.orders.submit(leg)

    def _leg(
        self,
        entry: Order,
        side: Side,
        quantity: int,
        order_type: OrderType,
        price: Decimal | None,
        trigger: Decimal | None,
        role: str,
    ) -> Order:
        return Order(
            client_order_id=self.orders.next_client_id(),
            instrument=entry.instrument,
            side=side,
            quantity=quantity,
            order_type=order_type,
            product=entry.product,
            price=price,
            trigger_price=trigger,
            strategy_id=entry.strategy_id,
            role=role,
            parent_id=entry.client_order_id,
            created_ts=self.orders.clock.now_ns(),
        )

    def _finish(self, bracket: Bracket) -> None:
        bracket.done = True
        brackets = self._active.get(bracket.entry.instrument.key)
        if brackets is not None and bracket in brackets:
            brackets.remove(bracket)
            if not brackets:
                del self._active[bracket.entry.instrument.key]

    # -- per bar / tick ------------------------------------------------------------------------
    def on_price(self, instrument: Instrument, high: float, low: float) -> None:
        """Move trailing stops and fire watched stops after a bar (or a tick: high == low)."""
        brackets = self._active.get(instrument.key)
        if not brackets:
            return
        for bracket in tuple(brackets):
            if bracket.done:
                continue
            if not self.resting_stops and bracket.stop_price is not None:
                crossed = (
                    (low <= bracket.stop_price)
                    if bracket.direction > 0
                    else (high >= bracket.stop_price)
                )
                if crossed:
                    self._fire_watched_stop(bracket)
                    continue
            if bracket.trailing is not None:
                self._trail(bracket, high, low)

    def _trail(self, bracket: Bracket, high: float, low: float) -> None:
        direction = bracket.direction
        best = high if direction > 0 else low
        if (best - bracket.best_price) * direction <= 0:
            return
        bracket.best_price = best
        tick = bracket.entry.instrument.tick_size
        level = round_to_tick(best - direction * bracket.trail_distance, tick)
        current = bracket.stop_price
        if current is not None and (level - current) * direction <= 0:
            return
        bracket.stop_price = level
        leg = bracket.stop_order
        if leg is not None and leg.is_working:
            self.orders.modify(leg, trigger_price=level)

    def _fire_watched_stop(self, bracket: Bracket) -> None:
        entry = bracket.entry
        assert bracket.stop_price is not None
        quantity = entry.filled_quantity
        if bracket.target_order is not None:
            quantity -= bracket.target_order.filled_quantity
            self.orders.cancel(bracket.target_order)
        self._finish(bracket)
        self.bus.publish(
            ExitTriggeredEvent(
                entry.client_order_id, "stop", bracket.stop_price, self.orders.clock.now_ns()
            )
        )
        if quantity > 0:
            leg = self._leg(
                entry, entry.side.opposite, quantity, OrderType.MARKET, None, None, "stop"
            )
            self.orders.submit(leg)
