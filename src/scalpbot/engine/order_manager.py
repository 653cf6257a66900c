"""The order manager: the only code that changes an `Order` after it is created.

Journal first: every order is handed to the journal (the store, in a session) before it reaches
the gateway, so a crash between the two leaves a record to reconcile, never a lost order.
Outcomes arrive as `OrderUpdate` and `Fill` events from the gateway (synchronously from the
paper exchange, later from a live adapter) and are applied through the order state machine.
An update that the state machine refuses is reported as an `ErrorEvent`, not applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

from scalpbot.domain import (
    Fill,
    Order,
    OrderGateway,
    OrderStateError,
    OrderStatus,
    OrderUpdate,
    TradeRecord,
)
from scalpbot.engine.bus import EventBus
from scalpbot.engine.clock import Clock
from scalpbot.engine.errors import EngineFault, JournalError
from scalpbot.engine.events import (
    ErrorEvent,
    FillEvent,
    OrderEvent,
    PositionEvent,
    TradeClosedEvent,
)
from scalpbot.engine.portfolio import Portfolio

Journal = Callable[[Order], None]
FillHook = Callable[[Order, Fill, TradeRecord | None], None]
OrderHook = Callable[[Order], None]


class OrderManager:
    """Creates orders with our client ids, sends them, and applies what comes back."""

    def __init__(
        self,
        gateway: OrderGateway,
        portfolio: Portfolio,
        bus: EventBus,
        clock: Clock,
        *,
        id_prefix: str = "SB",
        journal: Journal | None = None,
        journal_sent: Journal | None = None,
    ) -> None:
        self.gateway = gateway
        self.portfolio = portfolio
        self.bus = bus
        self.clock = clock
        self.id_prefix = id_prefix
        self.journal = journal
        # Called once the gateway has a new order: a journal that only made a quick record of
        # it before sending (a line in an intent file) writes it in full here, off the path
        # from tick to request.
        self.journal_sent = journal_sent
        self.orders: dict[str, Order] = {}
        self._working: dict[str, Order] = {}
        self._counter = 0
        # Engine-internal hooks run before the bus hears of a fill, so exits are placed (and
        # OCO siblings cancelled) before any strategy or subscriber reacts.
        self.fill_hooks: list[FillHook] = []
        self.order_hooks: list[OrderHook] = []
        gateway.set_listener(self)

    def forget_finished(self, keep: int) -> int:
        """Drop all but the latest `keep` finished orders from memory (they are in the store);
        returns how many went. A session on hundreds of instruments finishes thousands of
        orders an hour, and nothing here needs an order once it is final: late news of one is
        ignored, and exits hang off working orders."""
        excess = len(self.orders) - len(self._working) - keep
        if excess <= 0:
            return 0
        dropped = 0
        for cid in list(self.orders):
            if dropped == excess:
                break
            if cid not in self._working:
                del self.orders[cid]
                dropped += 1
        return dropped

    # -- requests -----------------------------------------------------------------------------
    def next_client_id(self) -> str:
        """Our id for a new order; short and alphanumeric so it can travel as a broker tag."""
        self._counter += 1
        return f"{self.id_prefix}{self._counter:06d}"

    def submit(self, order: Order) -> Order:
        """Journal the order, then hand it to the gateway."""
        order.created_ts = order.created_ts or self.clock.now_ns()
        if self.journal is not None:  # a failure raises before anything is sent or tracked
            _write(self.journal, order, "could not be journaled, so it was not sent")
        self.orders[order.client_order_id] = order
        self._working[order.client_order_id] = order
        if self.bus.has_subscribers(OrderEvent):
            self.bus.publish(OrderEvent(order, order.created_ts))
        self.gateway.submit(order)
        if self.journal_sent is not None:
            _write(
                self.journal_sent,
                order,
                "was sent (its journal record is kept for the next start), but writing it to "
                "the store failed",
            )
        return order

    def modify(
        self,
        order: Order,
        *,
        quantity: int | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> None:
        order.transition(OrderStatus.PENDING_MODIFY, self.clock.now_ns())
        self.gateway.modify(order, quantity=quantity, price=price, trigger_price=trigger_price)

    def cancel(self, order: Order) -> None:
        """Ask to cancel a working order; a no-op for one already final or being cancelled."""
        if not order.is_working or order.status is OrderStatus.PENDING_CANCEL:
            return
        if order.status is OrderStatus.PENDING_SUBMIT:
            # Sent, not yet answered (a live broker): there is nothing to cancel yet. The
            # gateway cancels it once the broker has answered, if it is still working then.
            self.gateway.cancel(order)
            return
        order.transition(OrderStatus.PENDING_CANCEL, self.clock.now_ns())
        self.gateway.cancel(order)

    def cancel_all(self, predicate: Callable[[Order], bool] | None = None) -> int:
        targets = [o for o in self._working.values() if predicate is None or predicate(o)]
        for order in targets:
            self.cancel(order)
        return len(targets)

    def adopt(self, order: Order) -> None:
        """Take over an order placed before a restart (a live session resuming): it is tracked
        as if submitted here, and new client ids continue after its number so none repeats."""
        self.orders[order.client_order_id] = order
        if order.is_working:
            self._working[order.client_order_id] = order
        else:
            self._working.pop(order.client_order_id, None)
        suffix = order.client_order_id.removeprefix(self.id_prefix)
        if suffix != order.client_order_id and suffix.isdigit():
            self._counter = max(self._counter, int(suffix))

    # -- views -------------------------------------------------------------------------------
    def working_orders(self) -> Iterator[Order]:
        return iter(tuple(self._working.values()))

    def has_working_orders(self) -> bool:
        return bool(self._working)

    def get(self, client_order_id: str) -> Order | None:
        return self.orders.get(client_order_id)

    # -- ExecutionListener ---------------------------------------------------------------------
    def on_order_update(self, update: OrderUpdate) -> None:
        order = self.orders.get(update.client_order_id)
        if order is None:
            self._error(f"update for an order we did not place: {update.client_order_id}")
            return
        if update.broker_order_id:
            order.broker_order_id = update.broker_order_id
        status = update.status
        if order.status in (OrderStatus.PENDING_MODIFY, OrderStatus.PENDING_CANCEL):
            if status is order.status:
                return
            if order.status is OrderStatus.PENDING_MODIFY and status in (
                OrderStatus.OPEN,
                OrderStatus.TRIGGER_PENDING,
                OrderStatus.PARTIALLY_FILLED,
            ):
                self._apply_modification(order, update)
        elif status in (OrderStatus.OPEN, OrderStatus.TRIGGER_PENDING):
            self._apply_modification(order, update)
        try:
            changed = order.transition(status, update.ts, update.reason)
        except OrderStateError as exc:
            self._error(str(exc))
            return
        if changed:
            self._after_change(order)

    def _apply_modification(self, order: Order, update: OrderUpdate) -> None:
        if update.price is not None:
            order.price = update.price
        if update.trigger_price is not None:
            order.trigger_price = update.trigger_price
        if update.quantity is not None and update.quantity >= order.filled_quantity:
            order.quantity = update.quantity

    def on_fill(self, fill: Fill) -> None:
        order = self.orders.get(fill.client_order_id)
        if order is None:
            self._error(f"fill for an order we did not place: {fill.client_order_id}")
            return
        try:
            order.record_fill(fill.quantity, fill.price, fill.ts)
        except OrderStateError as exc:
            self._error(str(exc))
            return
        if fill.broker_order_id and not order.broker_order_id:
            order.broker_order_id = fill.broker_order_id
        charged, trade = self.portfolio.apply_fill(fill)
        self._after_change(order)
        for hook in self.fill_hooks:
            hook(order, charged, trade)
        bus = self.bus
        if bus.has_subscribers(FillEvent):
            bus.publish(FillEvent(charged, fill.ts))
        if bus.has_subscribers(PositionEvent):
            position = self.portfolio.position(fill.instrument.key)
            if position is not None:
                bus.publish(PositionEvent(position, fill.ts))
        if trade is not None and bus.has_subscribers(TradeClosedEvent):
            bus.publish(TradeClosedEvent(trade, fill.ts))

    def _after_change(self, order: Order) -> None:
        if not order.is_working:
            self._working.pop(order.client_order_id, None)
        if self.journal is not None:
            _write(self.journal, order, f"({order.status}) could not be journaled")
        for hook in self.order_hooks:
            hook(order)
        if self.bus.has_subscribers(OrderEvent):
            self.bus.publish(OrderEvent(order, order.updated_ts))

    def _error(self, message: str) -> None:
        self.bus.publish(ErrorEvent("order_manager", message, self.clock.now_ns()))


def _write(journal: Journal, order: Order, failure: str) -> None:
    """Run a journal hook; a store failure becomes a `JournalError` saying what became of the
    order (an engine fault raised inside the hook passes through as it is)."""
    try:
        journal(order)
    except EngineFault:
        raise
    except Exception as exc:
        raise JournalError(f"order {order.client_order_id} {failure}: {exc}") from exc
