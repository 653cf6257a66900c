"""Orders and their one state machine.

Every order in every mode moves through `TRANSITIONS`; nothing else decides which status may
follow which. An order that was sent but whose outcome we do not know (a timeout after the
request left) is UNKNOWN, never REJECTED: treating it as rejected is how bots double orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from scalpbot.domain.enums import OrderType, Product, Side, Validity
from scalpbot.domain.errors import OrderStateError
from scalpbot.domain.instrument import Instrument


class OrderStatus(StrEnum):
    PENDING_SUBMIT = "PENDING_SUBMIT"
    OPEN = "OPEN"
    TRIGGER_PENDING = "TRIGGER_PENDING"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_MODIFY = "PENDING_MODIFY"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def is_working(self) -> bool:
        """True while the order may still fill (including when we are unsure of it)."""
        return self not in TERMINAL_STATUSES


S = OrderStatus
TERMINAL_STATUSES = frozenset({S.FILLED, S.CANCELLED, S.REJECTED})

# Where an order may go from each status. A status may repeat itself only where that carries
# news (another partial fill); otherwise a repeated status is ignored by `Order.apply`.
_LIVE_TARGETS = {S.OPEN, S.TRIGGER_PENDING, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED}
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_SUBMIT: frozenset(_LIVE_TARGETS | {S.REJECTED, S.UNKNOWN}),
    S.UNKNOWN: frozenset(_LIVE_TARGETS | {S.REJECTED, S.PENDING_CANCEL}),
    S.OPEN: frozenset(
        {
            S.PARTIALLY_FILLED,
            S.FILLED,
            S.PENDING_MODIFY,
            S.PENDING_CANCEL,
            S.CANCELLED,
            S.TRIGGER_PENDING,
        }
    ),
    S.TRIGGER_PENDING: frozenset(
        {S.OPEN, S.PARTIALLY_FILLED, S.FILLED, S.PENDING_MODIFY, S.PENDING_CANCEL, S.CANCELLED}
    ),
    S.PARTIALLY_FILLED: frozenset(
        {S.PARTIALLY_FILLED, S.FILLED, S.PENDING_MODIFY, S.PENDING_CANCEL, S.CANCELLED}
    ),
    # A modify or cancel request can be refused (back to where it was) or overtaken by a fill.
    S.PENDING_MODIFY: frozenset(_LIVE_TARGETS | {S.PENDING_CANCEL}),
    S.PENDING_CANCEL: frozenset(_LIVE_TARGETS),
    S.FILLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
}


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


@dataclass(slots=True)
class StatusChange:
    """One line of an order's history: when, to what, and why (broker message or our reason)."""

    ts: int
    status: OrderStatus
    reason: str = ""


@dataclass(slots=True)
class Order:
    """An order from intent to its final state.

    `client_order_id` is ours, made before the order is sent, and doubles as the broker's order
    tag so a lost reply can be resolved by looking the order up instead of sending it again.
    Prices are `Decimal` on the instrument's tick; `None` where the order type has none.
    """

    client_order_id: str
    instrument: Instrument
    side: Side
    quantity: int
    order_type: OrderType = OrderType.MARKET
    product: Product = Product.MIS
    validity: Validity = Validity.DAY
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    status: OrderStatus = OrderStatus.PENDING_SUBMIT
    filled_quantity: int = 0
    average_price: Decimal = Decimal(0)
    broker_order_id: str | None = None
    strategy_id: str = ""
    role: str = "entry"  # entry | stop | target | exit: what the engine placed it for
    parent_id: str | None = None  # the entry an exit leg protects
    created_ts: int = 0
    updated_ts: int = 0
    reason: str = ""
    history: list[StatusChange] = field(default_factory=list)
    # The status before a PENDING_MODIFY/PENDING_CANCEL, to return to if the request is refused.
    resting_status: OrderStatus | None = None

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError(f"order quantity must be positive, got {self.quantity}")
        needs_price = self.order_type in (OrderType.LIMIT, OrderType.SL)
        needs_trigger = self.order_type in (OrderType.SL, OrderType.SL_M)
        if needs_price and self.price is None:
            raise ValueError(f"{self.order_type} order needs a price")
        if needs_trigger and self.trigger_price is None:
            raise ValueError(f"{self.order_type} order needs a trigger price")
        if not self.history:
            self.history.append(StatusChange(self.created_ts, self.status, "created"))

    @property
    def remaining_quantity(self) -> int:
        return self.quantity - self.filled_quantity

    @property
    def is_working(self) -> bool:
        return self.status.is_working

    def transition(self, target: OrderStatus, ts: int, reason: str = "") -> bool:
        """Move to `target`; returns False for a repeat that carries no news.

        Raises `OrderStateError` for a move the state machine forbids, because a broker update
        that contradicts our record must be looked at, not silently applied.
        """
        if target == self.status and target is not OrderStatus.PARTIALLY_FILLED:
            return False
        if not can_transition(self.status, target):
            raise OrderStateError(
                f"order {self.client_order_id}: cannot go from {self.status} to {target}"
                + (f" ({reason})" if reason else "")
            )
        pending = (OrderStatus.PENDING_MODIFY, OrderStatus.PENDING_CANCEL)
        if target in pending and self.status not in pending:
            self.resting_status = self.status
        self.status = target
        self.updated_ts = ts
        if reason:
            self.reason = reason
        self.history.append(StatusChange(ts, target, reason))
        return True

    def record_fill(self, quantity: int, price: Decimal, ts: int) -> None:
        """Add a fill to the order's filled quantity and average price, and move its status."""
        if quantity <= 0 or quantity > self.remaining_quantity:
            raise OrderStateError(
                f"order {self.client_order_id}: fill of {quantity} does not fit the "
                f"{self.remaining_quantity} remaining"
            )
        total = self.average_price * self.filled_quantity + price * quantity
        self.filled_quantity += quantity
        self.average_price = total / self.filled_quantity
        full = self.filled_quantity == self.quantity
        self.transition(OrderStatus.FILLED if full else OrderStatus.PARTIALLY_FILLED, ts)
