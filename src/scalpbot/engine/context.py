"""The engine's implementation of `StrategyContext`: one per (strategy, instrument).

Every order a strategy asks for passes here: order type from the prices given, prices put on
the tick grid, quantity from the default or from risk-based sizing, the default stop applied,
the pause rule (no new entries, exits still work), the risk manager's checks, managed exits
attached, then the order manager. A refusal is published with its reason and returns None.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from scalpbot.domain import Instrument, Order, OrderType, Position, Side
from scalpbot.engine.events import ErrorEvent, RiskRejectedEvent
from scalpbot.engine.sizing import size_by_risk
from scalpbot.market.ticks import round_to_tick, to_decimal
from scalpbot.strategies.exits import ExitLike, ExitOffset, as_offset, pct

if TYPE_CHECKING:
    from scalpbot.engine.engine import Engine


class EngineContext:
    def __init__(self, engine: Engine, strategy_id: str, instrument: Instrument) -> None:
        self._engine = engine
        self.strategy_id = strategy_id
        self._instrument = instrument
        self._key = instrument.key
        self._flat = Position(instrument)

    # -- reading -------------------------------------------------------------------------------
    @property
    def instrument(self) -> Instrument:
        return self._instrument

    @property
    def position(self) -> Position:
        position = self._engine.portfolio.position(self._key)
        return position if position is not None else self._flat

    @property
    def now(self) -> datetime:
        return self._engine.clock.now()

    @property
    def now_ns(self) -> int:
        return self._engine.clock.now_ns()

    @property
    def last_price(self) -> float | None:
        return self._engine.portfolio.last_price(self._key)

    @property
    def open_orders(self) -> list[Order]:
        return [
            o
            for o in self._engine.orders.working_orders()
            if o.instrument.key == self._key and o.strategy_id == self.strategy_id
        ]

    def log(self, message: str) -> None:
        self._engine.log(f"[{self.strategy_id}] {message}")

    # -- trading -------------------------------------------------------------------------------
    def buy(
        self,
        quantity: int | None = None,
        *,
        price: float | Decimal | None = None,
        trigger_price: float | Decimal | None = None,
        stop_loss: ExitLike | None = None,
        target: ExitLike | None = None,
        trailing_stop: ExitLike | None = None,
    ) -> Order | None:
        return self._order(
            Side.BUY, quantity, price, trigger_price, stop_loss, target, trailing_stop
        )

    def sell(
        self,
        quantity: int | None = None,
        *,
        price: float | Decimal | None = None,
        trigger_price: float | Decimal | None = None,
        stop_loss: ExitLike | None = None,
        target: ExitLike | None = None,
        trailing_stop: ExitLike | None = None,
    ) -> Order | None:
        return self._order(
            Side.SELL, quantity, price, trigger_price, stop_loss, target, trailing_stop
        )

    def close(self) -> Order | None:
        """Flatten this instrument: withdraw exit legs and working entries, then a market exit."""
        engine = self._engine
        engine.exits.cancel_for(self._key)
        engine.orders.cancel_all(lambda o: o.instrument.key == self._key)
        held = engine.portfolio.position_quantity(self._key)
        if held == 0:
            return None
        side = Side.SELL if held > 0 else Side.BUY
        order = self._new_order(side, abs(held), OrderType.MARKET, None, None, role="exit")
        return self._send(order)

    def cancel(self, order: Order) -> None:
        self._engine.orders.cancel(order)

    def cancel_all(self) -> None:
        self._engine.orders.cancel_all(
            lambda o: o.instrument.key == self._key and o.strategy_id == self.strategy_id
        )

    # -- internals -----------------------------------------------------------------------------
    def _order(
        self,
        side: Side,
        quantity: int | None,
        price: float | Decimal | None,
        trigger_price: float | Decimal | None,
        stop_loss: ExitLike | None,
        target: ExitLike | None,
        trailing_stop: ExitLike | None,
    ) -> Order | None:
        engine = self._engine
        tick = self._instrument.tick_size
        limit = None
        if price is not None:
            limit = round_to_tick(price, tick, "down" if side is Side.BUY else "up")
        trigger = round_to_tick(trigger_price, tick) if trigger_price is not None else None
        if limit is None:
            order_type = OrderType.MARKET if trigger is None else OrderType.SL_M
        else:
            order_type = OrderType.LIMIT if trigger is None else OrderType.SL
        stop = as_offset(stop_loss)
        default_stop = engine.risk.settings.default_stop_pct
        if stop is None and default_stop is not None and self._is_entry(side):
            stop = pct(default_stop)
        if quantity is None:
            sized = self._default_quantity(limit or trigger, stop)
            if sized is None:
                return None
            quantity = sized
        lot = self._instrument.lot_size
        if quantity <= 0 or quantity % lot:
            self._refuse(
                "lot_size", f"quantity {quantity} is not a positive multiple of the lot size {lot}"
            )
            return None
        order = self._new_order(side, quantity, order_type, limit, trigger)
        if engine.runner.entries_blocked() and self._is_entry(side):
            state = engine.runner.state
            self._refuse(state, f"strategy runner is {state}: no new entries")
            return None
        sent = self._send(order)
        if sent is not None:
            engine.exits.attach(sent, stop, as_offset(target), as_offset(trailing_stop))
        return sent

    def _is_entry(self, side: Side) -> bool:
        held = self._engine.portfolio.position_quantity(self._key)
        return held == 0 or (held > 0) == (side is Side.BUY)

    def _default_quantity(self, price: Decimal | None, stop: ExitOffset | None) -> int | None:
        engine = self._engine
        lot = self._instrument.lot_size
        risk_pct = engine.risk.settings.risk_per_trade_pct
        if risk_pct is None or stop is None:
            return engine.default_lots * lot
        reference = float(price) if price is not None else self.last_price
        if reference is None:
            self._refuse("sizing", "no price known yet to size the order by risk")
            return None
        try:
            distance = stop.distance(reference, engine.atr(self._key))
        except ValueError as exc:
            self._refuse("sizing", str(exc))
            return None
        entry = to_decimal(reference)
        quantity = size_by_risk(
            engine.risk.settings.capital,
            risk_pct,
            entry,
            entry - to_decimal(round(distance, 10)),
            lot,
        )
        if quantity <= 0:
            self._refuse("sizing", f"one lot ({lot}) risks more than {risk_pct}% of capital")
            return None
        return quantity

    def _new_order(
        self,
        side: Side,
        quantity: int,
        order_type: OrderType,
        price: Decimal | None,
        trigger: Decimal | None,
        *,
        role: str = "entry",
    ) -> Order:
        engine = self._engine
        return Order(
            client_order_id=engine.orders.next_client_id(),
            instrument=self._instrument,
            side=side,
            quantity=quantity,
            order_type=order_type,
            product=engine.product,
            price=price,
            trigger_price=trigger,
            strategy_id=self.strategy_id,
            role=role,
            created_ts=engine.clock.now_ns(),
        )

    def _send(self, order: Order) -> Order | None:
        engine = self._engine
        last = self.last_price
        rejection = engine.risk.check(
            order, engine.clock.now_ns(), to_decimal(last) if last is not None else None
        )
        if rejection is not None:
            self._refuse(rejection.code, rejection.message)
            return None
        return engine.orders.submit(order)

    def _refuse(self, code: str, message: str) -> None:
        engine = self._engine
        engine.bus.publish(
            RiskRejectedEvent(self.strategy_id, self._key, code, message, engine.clock.now_ns())
        )


def report_strategy_error(engine: Engine, strategy_id: str, exc: BaseException) -> None:
    engine.bus.publish(ErrorEvent(f"strategy:{strategy_id}", repr(exc), engine.clock.now_ns()))
