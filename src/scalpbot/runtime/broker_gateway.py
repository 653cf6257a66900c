"""`BrokerGateway`: the engine's fire-and-forget order gateway over a real broker's REST API.

The engine never waits on a broker (DESIGN.md), so each request runs in a worker thread — or,
for a new order with an adapter that can (`LoopOrderEntry`), is written from the event loop in
the call — and its outcome comes back to the engine on the event loop as an `OrderUpdate` or a
`Fill`, exactly as the paper exchange delivers them. One gateway serves every adapter: it
speaks only the `Broker` protocol (and `LoopOrderEntry`) and our domain types.

Three rules keep orders from being lost or doubled:

- an order whose outcome is unknown (the adapter could not tell whether the broker took it) is
  marked UNKNOWN and resolved by looking it up by its tag (our client id) — never sent again;
- fills come from the broker's trade book (`get_order_trades`), each once by its trade id, so
  P&L is built from real executions, not from an order's running average;
- every change the broker reports about an order (stream message, postback, or our own look-up
  after a request) goes through `on_order`, one order at a time, so they cannot interleave.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal

from scalpbot.domain import (
    Broker,
    BrokerError,
    BrokerUnavailable,
    Fill,
    Order,
    OrderRejected,
    OrderStatus,
    ScalpbotError,
    SessionExpired,
    Tick,
    can_transition,
)
from scalpbot.runtime.gateway_plumbing import GatewayPlumbing

log = logging.getLogger(__name__)

#: Seconds between look-ups of an order whose outcome is unknown, then every last value.
RESOLVE_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)
#: Look-ups after which an order that the broker has never heard of is closed as not sent.
RESOLVE_ATTEMPTS = 12
#: Attempts (and the pause between them) to find the trades behind a reported fill: a broker's
#: trade book can trail its order book by a moment.
TRADE_ATTEMPTS = 8
TRADE_PAUSE_S = 0.25

_FILL_STATUSES = (OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED)


class BrokerGateway(GatewayPlumbing):
    """`OrderGateway` for the engine and `StreamHandler` for the broker's order updates.

    gateway = BrokerGateway(broker)
    engine = Engine(gateway, clock, ...)          # the engine sets itself as listener
    stream = broker.stream(gateway)               # order updates come back through on_order

    Ticks from the stream go to `tick_sink` (the session's feed); connection changes go to
    `status_sink`; an expired broker session goes to `session_expired` (the session pauses
    trading and raises an alert).
    """

    def __init__(
        self,
        broker: Broker,
        *,
        clock_ns: Callable[[], int] = time.time_ns,
        workers: int = 4,
        senders: int = 2,
        resolve_delays: tuple[float, ...] = RESOLVE_DELAYS,
        resolve_attempts: int = RESOLVE_ATTEMPTS,
        trade_pause_s: float = TRADE_PAUSE_S,
    ) -> None:
        super().__init__(broker, clock_ns, workers=workers, senders=senders)
        self.tick_sink: Callable[[list[Tick]], None] | None = None
        self.status_sink: Callable[[bool, str], None] | None = None
        self.session_expired: Callable[[str], None] | None = None
        self.request_sent: Callable[[Order], None] | None = None  # latency probes
        self._submitting: dict[str, asyncio.Future[None]] = {}
        self._resolve_delays = resolve_delays
        self._resolve_attempts = resolve_attempts
        self._trade_pause_s = trade_pause_s

    # -- OrderGateway ------------------------------------------------------------------------
    def submit(self, order: Order) -> None:
        """Send the order now and follow its answer in a task.

        An adapter that can write a request from the event loop (`begin_place_order`, see
        `LoopOrderEntry`) has it on the wire before this returns; otherwise — or when it cannot
        at this moment — a worker thread takes it at once, not when the loop next gets round
        to a task."""
        cid = order.client_order_id
        self._orders[cid] = order
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._submitting[cid] = loop.create_future()
        if self.request_sent is not None:
            self.request_sent(order)
        self._spawn(self._submit(order, self._place(order)))

    async def _submit(self, order: Order, placing: Awaitable[str]) -> None:
        cid = order.client_order_id
        try:
            broker_id = await placing
        except SessionExpired as exc:
            self._rejected(order, f"broker session expired: {exc}")
            self._expired(str(exc))
        except OrderRejected as exc:
            self._rejected(order, str(exc))
        except BrokerUnavailable as exc:
            # The request may have reached the broker: never resend, find out by the tag.
            async with self._lock(cid):
                if order.status is OrderStatus.PENDING_SUBMIT:
                    self._update(order, OrderStatus.UNKNOWN, f"outcome unknown: {exc}")
            self._spawn(self._resolve(order))
        except BrokerError as exc:  # a refusal we have no finer name for: not accepted
            self._rejected(order, str(exc))
        except ScalpbotError as exc:  # refused by the adapter before anything was sent
            self._rejected(order, str(exc))
        except Exception as exc:  # not the adapter's contract: assume it may have been sent
            log.exception("placing %s failed unexpectedly", cid)
            async with self._lock(cid):
                if order.status is OrderStatus.PENDING_SUBMIT:
                    self._update(order, OrderStatus.UNKNOWN, f"outcome unknown: {exc}")
            self._spawn(self._resolve(order))
        else:
            async with self._lock(cid):
                order.broker_order_id = order.broker_order_id or broker_id
                if order.status in (OrderStatus.PENDING_SUBMIT, OrderStatus.UNKNOWN):
                    self._update(order, OrderStatus.OPEN, "accepted", broker_order_id=broker_id)
            self._spawn(self.refresh(order))
        finally:
            done = self._submitting.pop(cid, None)
            if done is not None and not done.done():
                done.set_result(None)

    def _rejected(self, order: Order, reason: str) -> None:
        if order.status in (OrderStatus.PENDING_SUBMIT, OrderStatus.UNKNOWN):
            self._update(order, OrderStatus.REJECTED, reason)

    def _expired(self, message: str) -> None:
        if self.session_expired is not None:
            self.session_expired(message)

    async def _resolve(self, order: Order) -> None:
        """Look the order up by its tag until the broker's answer is known."""
        cid = order.client_order_id
        for attempt in range(self._resolve_attempts):
            delay = self._resolve_delays[min(attempt, len(self._resolve_delays) - 1)]
            await asyncio.sleep(delay)
            if order.status not in (OrderStatus.UNKNOWN, OrderStatus.PENDING_SUBMIT):
                return  # the stream told us meanwhile
            try:
                found = await self._call(self.broker.find_order_by_tag, cid)
            except SessionExpired as exc:
                self._expired(str(exc))
                continue
            except BrokerError as exc:
                log.warning("looking up order %s by its tag failed: %s", cid, exc)
                continue
            if found is not None:
                await self.on_order_async(found)
                return
        async with self._lock(cid):
            if order.status is OrderStatus.UNKNOWN:
                self._update(
                    order,
                    OrderStatus.REJECTED,
                    f"not found at the broker by its tag after {self._resolve_attempts} "
                    "look-ups: it never arrived",
                )

    def modify(
        self,
        order: Order,
        *,
        quantity: int | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> None:
        self._spawn(self._modify(order, quantity, price, trigger_price))

    async def _modify(
        self,
        order: Order,
        quantity: int | None,
        price: Decimal | None,
        trigger_price: Decimal | None,
    ) -> None:
        await self._wait_submitted(order)
        back = order.resting_status or OrderStatus.OPEN
        if order.broker_order_id is None:
            async with self._lock(order.client_order_id):
                if order.status is OrderStatus.PENDING_MODIFY:
                    self._update(order, back, "modify refused: the broker has no id for it yet")
            return
        try:
            await self._send(
                self.broker.modify_order,
                order.broker_order_id,
                quantity=quantity,
                price=price,
                trigger_price=trigger_price,
            )
        except BrokerError as exc:
            if isinstance(exc, SessionExpired):
                self._expired(str(exc))
            async with self._lock(order.client_order_id):
                if order.status is OrderStatus.PENDING_MODIFY:
                    self._update(order, back, f"modify refused: {exc}")
            if isinstance(exc, BrokerUnavailable):
                self._spawn(self.refresh(order))
            return
        async with self._lock(order.client_order_id):
            if order.status is OrderStatus.PENDING_MODIFY:
                self._update(
                    order,
                    back,
                    "modified",
                    quantity=quantity,
                    price=price,
                    trigger_price=trigger_price,
                )
        self._spawn(self.refresh(order))

    def cancel(self, order: Order) -> None:
        self._spawn(self._cancel(order))

    async def _cancel(self, order: Order) -> None:
        await self._wait_submitted(order)
        if not order.is_working:
            return  # filled or refused before the cancel could be sent
        if order.broker_order_id is None:
            if order.status is OrderStatus.UNKNOWN:
                await self._resolve(order)
            if order.broker_order_id is None:
                return  # never reached the broker: nothing to cancel (it is closed already)
        try:
            await self._send(self.broker.cancel_order, order.broker_order_id)
        except BrokerError as exc:
            if isinstance(exc, SessionExpired):
                self._expired(str(exc))
            log.warning("cancel of %s refused: %s", order.client_order_id, exc)
            async with self._lock(order.client_order_id):
                if order.status is OrderStatus.PENDING_CANCEL:  # the strategy learns why
                    back = order.resting_status or OrderStatus.OPEN
                    self._update(order, back, f"cancel refused: {exc}")
        # Whatever the reply, the broker's book says what became of it (it may have filled).
        await self.refresh(order)
        async with self._lock(order.client_order_id):
            if order.status is OrderStatus.PENDING_CANCEL:
                back = order.resting_status or OrderStatus.OPEN
                self._update(order, back, "cancel refused by the broker")

    async def _wait_submitted(self, order: Order) -> None:
        pending = self._submitting.get(order.client_order_id)
        if pending is not None:
            await asyncio.shield(pending)

    async def refresh(self, order: Order) -> None:
        """Ask the broker for the order's state and apply it (after each request we made).

        By its broker id when it has one — one order's history, not the whole day's book, which
        grows with every order and whose parsing would hold the GIL against the next order's
        journal write — else by its tag."""
        try:
            if order.broker_order_id:
                history = await self._call(self.broker.get_order_history, order.broker_order_id)
                found = history[-1] if history else None
                if found is not None:
                    found.client_order_id = order.client_order_id
            else:
                found = await self._call(self.broker.find_order_by_tag, order.client_order_id)
        except BrokerError as exc:
            log.warning("refreshing order %s failed: %s", order.client_order_id, exc)
            return
        if found is not None:
            await self.on_order_async(found)

    # -- StreamHandler ---------------------------------------------------------------------------
    def on_ticks(self, ticks: list[Tick]) -> None:
        if self.tick_sink is not None:
            self.tick_sink(ticks)

    def on_status(self, connected: bool, message: str) -> None:
        if self.status_sink is not None:
            self.status_sink(connected, message)

    def on_order(self, order: Order) -> None:
        """The broker's view of one order (stream, postback): applied in the background."""
        if order.client_order_id not in self._orders:
            log.info("order %s at the broker is not ours; ignored", order.broker_order_id)
            return
        self._spawn(self.on_order_async(order))

    async def on_order_async(self, view: Order) -> None:
        ours = self._orders.get(view.client_order_id)
        if ours is None:
            return
        async with self._lock(ours.client_order_id):
            if view.broker_order_id and not ours.broker_order_id:
                ours.broker_order_id = view.broker_order_id
            if view.filled_quantity > ours.filled_quantity:
                await self._collect_fills(ours, view.filled_quantity)
            status = view.status
            if status in _FILL_STATUSES or status is ours.status:
                return  # fills move these statuses; nothing new otherwise
            if ours.status.is_terminal or view.filled_quantity < ours.filled_quantity:
                return  # an older view overtaken by newer news: never move an order back
            if not can_transition(ours.status, status):
                log.debug("order %s: %s -> %s skipped", ours.client_order_id, ours.status, status)
                return
            if status is OrderStatus.UNKNOWN:
                log.warning(
                    "order %s: broker status %r not understood", ours.client_order_id, view.reason
                )
                return
            if ours.status is OrderStatus.UNKNOWN and status is OrderStatus.PENDING_SUBMIT:
                return
            self._update(
                ours,
                status,
                view.reason if status is OrderStatus.REJECTED else "",
                broker_order_id=view.broker_order_id,
                price=view.price,
                trigger_price=view.trigger_price,
                quantity=view.quantity,
            )

    async def _collect_fills(self, ours: Order, target_filled: int) -> None:
        """Apply the broker's trades for this order that we have not applied yet."""
        broker_id = ours.broker_order_id
        if broker_id is None:
            return
        for attempt in range(TRADE_ATTEMPTS):
            try:
                trades = await self._call(self.broker.get_order_trades, broker_id)
            except BrokerError as exc:
                log.warning("trades of %s could not be read: %s", ours.client_order_id, exc)
                trades = []
            for trade in sorted(trades, key=lambda f: (f.ts, f.fill_id)):
                if trade.fill_id in self._seen_fills:
                    continue
                if trade.quantity > ours.remaining_quantity:
                    continue  # cannot belong to this order's remaining quantity
                self._seen_fills.add(trade.fill_id)
                self.listener.on_fill(_as_ours(trade, ours))
            if ours.filled_quantity >= target_filled:
                return
            if attempt + 1 < TRADE_ATTEMPTS:
                await asyncio.sleep(self._trade_pause_s * (attempt + 1))
        message = (
            f"order {ours.client_order_id}: the broker reports {target_filled} filled but its "
            f"trade book shows {ours.filled_quantity}; will apply the rest when it appears"
        )
        log.warning(message)
        self.errors.append(message)


def _as_ours(trade: Fill, order: Order) -> Fill:
    """The broker's trade as a fill of our order (our client id and our instrument object)."""
    return Fill(
        fill_id=trade.fill_id,
        client_order_id=order.client_order_id,
        instrument=order.instrument,
        side=order.side,
        quantity=trade.quantity,
        price=trade.price,
        ts=trade.ts,
        product=order.product,
        broker_order_id=trade.broker_order_id or order.broker_order_id,
    )
