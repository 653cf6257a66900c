"""A live trading session: the same engine, strategies and store as paper, orders to a broker.

What differs from a paper session is only the edge: orders go through a `BrokerGateway` to the
broker's REST API, market data and order updates come from the broker's stream, and time is the
wall clock (IST), advanced by a one-second timer as well as by ticks so the square-off and the
closing of bars happen even in a quiet market.

Restart. A live market cannot be replayed, so a resumed live session does not re-derive its
state; it rebuilds it from the store and then reconciles it with the broker before trading
(DESIGN.md: "a restart reconciles the store with the broker's order book and positions before
trading resumes"):

1. our stored orders are adopted by the order manager and the gateway, and the portfolio is
   rebuilt from the stored fills (P&L from fills, never patched);
2. the broker's order book is matched with ours by tag (runtime/reconcile.py); orders the broker
   advanced are brought up to date through the gateway, their missing trades applied as fills;
   orders we journaled that never reached the broker are closed as REJECTED;
3. our net positions are compared with the broker's for the instruments this session trades.

Any conflict or position mismatch stops the session before it sends anything, with a message
that says what differs. Exit legs (stop/target) found working are paired again by their parent,
so when one fills the other is cancelled, as before the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

from scalpbot.data.feeds import Feed
from scalpbot.domain import (
    Bar,
    Broker,
    BrokerError,
    Fill,
    Order,
    OrderGateway,
    OrderStatus,
    SessionExpired,
    Tick,
)
from scalpbot.engine.events import BrokerSessionEvent, ErrorEvent, FeedStatusEvent
from scalpbot.runtime.broker_feed import BrokerFeed
from scalpbot.runtime.broker_gateway import BrokerGateway
from scalpbot.runtime.order_journal import ReconciliationError
from scalpbot.runtime.reconcile import BrokerOrder, Reconciliation, apply_to_orders, reconcile
from scalpbot.runtime.session import SessionSpec, StatusSink, TradingSession
from scalpbot.store import Store

log = logging.getLogger(__name__)

#: Seconds a bar may stay open past its interval waiting for a late tick before the timer
#: closes it (a tick stamped inside the interval can arrive a little after it ends).
BAR_GRACE_NS = 2_000_000_000
TIMER_S = 1.0


class LiveTradingSession(TradingSession):
    """A session trading through `broker`; `feed` is the broker's stream as a `BrokerFeed`."""

    def __init__(
        self,
        spec: SessionSpec,
        feed: Feed,
        store: Store,
        broker: Broker,
        *,
        resume: bool = False,
        status: StatusSink | None = None,
        status_interval_s: float = 1.0,
        gateway: BrokerGateway | None = None,
    ) -> None:
        self.broker = broker
        self.broker_gateway = gateway or BrokerGateway(broker)
        self._asked_to_resume = resume
        self.reconciliation: Reconciliation | None = None
        super().__init__(
            spec, feed, store, resume=resume, status=status, status_interval_s=status_interval_s
        )
        self._resumed_live = self._resume_from > 0 or self._found_existing
        self._resume_from = 0
        self._recovering = False  # live state is rebuilt from the store, not re-derived
        self.journal.written_until = -1
        self._logged_until = -1
        gw = self.broker_gateway
        gw.clock_ns = self._now
        gw.session_expired = self._session_expired
        gw.status_sink = self._stream_status
        if isinstance(feed, BrokerFeed):
            gw.tick_sink = feed.push
            feed.on_failure = self._stream_failed
        self.engine.orders.order_hooks.append(self._pair_exit_legs)
        self._restored_legs: dict[str, list[Order]] = defaultdict(list)

    # -- wiring --------------------------------------------------------------------------------
    def _make_gateway(self) -> OrderGateway:
        return self.broker_gateway

    def _id_prefix(self) -> str:
        """Client ids travel to the broker as tags and must never repeat in its book, even
        when this store is new (a deleted database restarts session numbers at 1): so they
        carry the session's start time too (seconds, base 36, 4 digits: repeats every 19
        days), which a resumed session reads back from its record. At most 17 characters, well
        inside Kite's 20."""
        record = self.store.sessions.get(self.session_id)
        stamp = int(record.started_at.timestamp()) if record is not None else 0
        digits = ""
        for _ in range(4):
            stamp, digit = divmod(stamp, 36)
            digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit] + digits
        return f"L{self.session_id}{digits}X"

    def _open_session(self, resume: bool) -> tuple[int, int]:
        session_id, resume_from = super()._open_session(resume)
        self._found_existing = resume and bool(self.store.orders.for_session(session_id))
        return session_id, resume_from

    def _now(self) -> int:
        return time.time_ns()

    # -- market data ---------------------------------------------------------------------------
    def _on_bar(self, bar: Bar) -> None:  # a broker stream delivers ticks; bars only if asked
        self.clock.ts = max(self.clock.ts, self._now())
        self.scheduler.on_time(self.clock.ts)
        self._engine_bar(bar)

    def _on_tick(self, tick: Tick) -> None:
        self.clock.ts = max(self.clock.ts, self._now())
        self.scheduler.on_time(self.clock.ts)
        self.engine.on_tick(tick)
        for bar in self.aggregator.on_tick(tick):
            self._engine_bar(bar)

    async def _timer(self) -> None:
        """Advance time when no tick comes: square-off, daily summary, bars closing on time."""
        while True:
            await asyncio.sleep(TIMER_S)
            now = self._now()
            self.clock.ts = max(self.clock.ts, now)
            self.scheduler.on_time(self.clock.ts)
            for bar in self.aggregator.flush(now - BAR_GRACE_NS):
                self._engine_bar(bar)
            self._emit_status()

    # -- running -------------------------------------------------------------------------------
    def request_stop(self, reason: str = "stop requested") -> None:
        super().request_stop(reason)
        with contextlib.suppress(RuntimeError):  # no loop: nothing is running yet
            asyncio.get_running_loop().create_task(self.feed.close())

    async def run(self) -> dict[str, Any]:
        self.clock.ts = self._now()
        if self._resumed_live:
            await self._reconcile_with_broker()
        timer = asyncio.get_running_loop().create_task(self._timer())
        self.broker_gateway.warm()
        try:
            return await super().run()
        finally:
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
            await self.broker_gateway.close()

    async def _settle(self) -> None:
        await self.broker_gateway.drain()

    def _checkpoint(self) -> None:
        self.store.sessions.update_progress(
            self.session_id, last_bar_index=self.events_processed, last_bar_ts=self.clock.ts
        )

    def _after_event(self) -> None:
        self.events_processed += 1
        if self.events_processed % 250 == 0:
            self._checkpoint()
        self._emit_status()

    # -- broker news ---------------------------------------------------------------------------
    def _session_expired(self, message: str) -> None:
        """The broker refused our token: no new orders until someone logs in again."""
        now = self._now()
        text = (
            f"{self.spec.broker} session expired ({message}); new orders stopped. Log in again "
            f"with `scalpbot login {self.spec.broker}` or the dashboard's Brokers page."
        )
        if self.engine.runner.state == "running":
            self.engine.pause(text)
        self.engine.bus.publish(BrokerSessionEvent(self.spec.broker, False, text, now))
        self._event("broker_session", text, {"valid": False}, now)

    def _stream_failed(self, exc: BaseException) -> None:
        """The broker's stream gave up; a refused token is the one cause worth an alert of its
        own (the session then ends, since it has no market data)."""
        if isinstance(exc, SessionExpired):
            self._session_expired(str(exc))

    def _stream_status(self, connected: bool, message: str) -> None:
        if isinstance(self.feed, BrokerFeed):
            self.feed.on_status(connected, message)  # a drop opens a gap to backfill
        self.engine.bus.publish(FeedStatusEvent(connected, message, self._now()))

    # -- restart ---------------------------------------------------------------------------------
    async def _reconcile_with_broker(self) -> None:
        """Rebuild from the store, then match it with the broker's book (module docstring)."""
        orders = self.store.orders.for_session(self.session_id)
        fills = sorted(self.store.fills.for_session(self.session_id), key=lambda f: f.ts)
        manager = self.engine.orders
        gw = self.broker_gateway
        by_id = {o.client_order_id: o for o in orders}
        fills_of: dict[str, list[Fill]] = defaultdict(list)
        for fill in fills:
            fills_of[fill.client_order_id].append(fill)
        for order in orders:
            _fills_are_the_truth(order, fills_of[order.client_order_id])
            manager.adopt(order)
            gw.adopt(order)
        for fill in fills:
            self.engine.portfolio.apply_fill(fill)
            gw.seen_fill(fill.fill_id)
        try:
            book = await asyncio.to_thread(self.broker.get_orders)
            positions = await asyncio.to_thread(self.broker.get_positions)
        except BrokerError as exc:
            raise ReconciliationError(
                f"session {self.session_id}: could not read the broker's book to reconcile "
                f"before resuming: {exc}"
            ) from exc
        entries = [
            BrokerOrder(
                tag=o.client_order_id,
                broker_order_id=o.broker_order_id,
                status=o.status,
                instrument_key=o.instrument.key,
                side=o.side.value,
                quantity=o.quantity,
            )
            for o in book
        ]
        result = reconcile(orders, entries)
        if result.conflicts:
            raise ReconciliationError(
                f"session {self.session_id}: the stored orders do not agree with "
                f"{self.spec.broker}'s order book ({result.explain()}); refusing to trade on."
            )
        views = {o.client_order_id: o for o in book}
        for cid, _, _ in result.advanced:
            await gw.on_order_async(views[cid])
        never = Reconciliation(never_sent=result.never_sent)
        for order in apply_to_orders(never, by_id, self._now()):
            manager.adopt(order)
            self.store.orders.save(order, self.session_id)
        traded = {slot.instrument.key for slot in self.spec.slots}
        ours = {key: self.engine.portfolio.position_quantity(key) for key in traded}
        theirs = {key: 0 for key in traded}
        for position in positions:
            key = position.instrument.key
            if key in traded:
                theirs[key] += position.quantity
        check = reconcile([], [], ours, theirs)
        result.position_mismatches = check.position_mismatches
        self.reconciliation = result
        if not result.ok:
            raise ReconciliationError(
                f"session {self.session_id}: positions differ from {self.spec.broker}'s "
                f"({result.explain()}); refusing to trade on. Square off or correct by hand, "
                "then start a new session."
            )
        for order in manager.working_orders():
            if order.role in ("stop", "target") and order.parent_id:
                self._restored_legs[order.parent_id].append(order)
        self._note("reconciled", f"resumed live session: {result.explain()}")
        for message in gw.errors:
            self.engine.bus.publish(ErrorEvent("broker", message, self._now()))

    def _pair_exit_legs(self, order: Order) -> None:
        """One exit leg restored after a restart filled: cancel its sibling (OCO)."""
        if order.status is not OrderStatus.FILLED or not order.parent_id:
            return
        legs = self._restored_legs.get(order.parent_id)
        if not legs:
            return
        for sibling in legs:
            if sibling is not order and sibling.is_working:
                self.engine.orders.cancel(sibling)
        self._restored_legs.pop(order.parent_id, None)


def _fills_are_the_truth(order: Order, fills: list[Fill]) -> None:
    """Repair an order whose journaled status ran ahead of its stored fills.

    The order's new status is journaled a moment before its fill is stored; a kill in between
    leaves an order recorded FILLED with no fill behind it. The fills are what P&L is made of,
    so the order is set back to what they show; reconciliation then finds the broker ahead and
    brings the missing trades in as fills.
    """
    quantity = sum(f.quantity for f in fills)
    if quantity == order.filled_quantity:
        return
    order.filled_quantity = quantity
    value = sum((f.price * f.quantity for f in fills), Decimal(0))
    order.average_price = value / quantity if quantity else Decimal(0)
    if order.status in (OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED):
        order.status = OrderStatus.PARTIALLY_FILLED if quantity else OrderStatus.OPEN
