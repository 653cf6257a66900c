"""The two faces a broker shows scalpbot.

`OrderGateway` is what the engine uses: fire-and-forget submit/modify/cancel whose outcomes come
back as `OrderUpdate` and `Fill` events through an `ExecutionListener`. The engine never waits on
a broker, so the same engine code runs over a synchronous simulated exchange (backtest, paper)
and over a network adapter whose replies arrive later (live).

`Broker` is the full account API a user, the runtime and the CLI call directly (orders, book,
positions, funds, quotes, history, instruments, login). Every adapter, the paper broker included,
implements both; results are scalpbot's domain types, never a broker's raw dicts.
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from scalpbot.domain.fill import Fill
from scalpbot.domain.instrument import Instrument
from scalpbot.domain.market_data import Bar, Tick
from scalpbot.domain.order import Order, OrderStatus
from scalpbot.domain.position import Position


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """A broker's news about one order: its new status and, for rejections, why."""

    client_order_id: str
    status: OrderStatus
    ts: int
    broker_order_id: str | None = None
    reason: str = ""
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    quantity: int | None = None


class ExecutionListener(Protocol):
    """Receives what happens to orders; the engine's `OrderManager` is the listener."""

    def on_order_update(self, update: OrderUpdate) -> None: ...

    def on_fill(self, fill: Fill) -> None: ...


@runtime_checkable
class OrderGateway(Protocol):
    """The engine's side of a broker: requests go out, outcomes come back as events."""

    def set_listener(self, listener: ExecutionListener) -> None: ...

    def submit(self, order: Order) -> None: ...

    def modify(
        self,
        order: Order,
        *,
        quantity: int | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> None: ...

    def cancel(self, order: Order) -> None: ...


@dataclass(frozen=True, slots=True)
class Profile:
    user_id: str
    user_name: str = ""
    email: str = ""
    broker: str = ""
    exchanges: tuple[str, ...] = ()
    products: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Funds:
    """Cash and margin of the equity (or commodity) segment, in rupees."""

    available_cash: Decimal
    used_margin: Decimal = Decimal(0)
    total_balance: Decimal = Decimal(0)
    segment: str = "equity"


@dataclass(frozen=True, slots=True)
class Quote:
    instrument_key: str
    last_price: Decimal
    ts: int = 0
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    close: Decimal | None = None
    volume: int = 0
    bid: Decimal | None = None
    ask: Decimal | None = None
    depth: dict[str, list[tuple[Decimal, int, int]]] = field(default_factory=dict)


class StreamHandler(Protocol):
    """Receives what a broker's streaming connection delivers, already in our domain types.

    Called on the event loop that runs the stream; implementations hand the events to the core
    and return at once (they never block the feed).
    """

    def on_ticks(self, ticks: list[Tick]) -> None: ...

    def on_order(self, order: Order) -> None:
        """The broker's current view of one order (status, filled quantity, average price)."""

    def on_status(self, connected: bool, message: str) -> None: ...


class Broker(Protocol):
    """The account API every adapter offers (see the module docstring)."""

    name: str

    def get_profile(self) -> Profile: ...

    def get_funds(self) -> Funds: ...

    def get_orders(self) -> list[Order]: ...

    def get_order_history(self, order_id: str) -> list[Order]: ...

    def get_trades(self) -> list[Fill]: ...

    def get_order_trades(self, order_id: str) -> list[Fill]: ...

    def find_order_by_tag(self, tag: str) -> Order | None:
        """The order we tagged with our client id, if the broker has it: how an order whose
        outcome was lost (timeout after sending) is resolved without sending it again."""

    def get_positions(self) -> list[Position]: ...

    def get_holdings(self) -> list[Position]: ...

    def get_quote(self, symbol: str, exchange: str = "NSE") -> Quote: ...

    def get_ltp(self, symbol: str, exchange: str = "NSE") -> Decimal: ...

    def get_historical_data(
        self, symbol: str, exchange: str, interval: str, start: datetime, end: datetime
    ) -> Sequence[Bar]: ...

    def get_instruments(self, exchange: str | None = None) -> list[Instrument]: ...

    def place_order(
        self,
        *,
        symbol: str,
        exchange: str,
        transaction_type: str,
        quantity: int,
        order_type: str = "MARKET",
        product: str = "MIS",
        price: Decimal | float | None = None,
        trigger_price: Decimal | float | None = None,
        validity: str = "DAY",
        tag: str | None = None,
    ) -> str: ...

    def modify_order(
        self,
        order_id: str,
        *,
        quantity: int | None = None,
        price: Decimal | float | None = None,
        trigger_price: Decimal | float | None = None,
        order_type: str | None = None,
    ) -> str: ...

    def cancel_order(self, order_id: str) -> str: ...

    def cancel_all_orders(self) -> list[str]: ...


@runtime_checkable
class LoopOrderEntry(Protocol):
    """An adapter that can put an order request on the wire from the event loop, in the call.

    Handing the request to a worker thread instead costs a wake-up and a wait for the loop to
    let go, which on a busy live session is most of the time from tick to request. The keywords
    are `Broker.place_order`'s. The returned awaitable gives the broker's order id (or raises as
    `place_order` would); None means nothing was sent and `place_order` should be used.
    """

    def begin_place_order(
        self, *, symbol: str, exchange: str, **order: object
    ) -> Coroutine[object, object, str] | None: ...

    def warm_order_entry(self) -> None:
        """Start opening what sending from the loop needs (e.g. connections); never waits."""
