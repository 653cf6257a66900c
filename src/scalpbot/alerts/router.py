"""From engine events to alerts: which bus event is which alert, said once.

    router = EventRouter(emit=service.notify)
    unsubscribe = router.attach(engine.bus)

Each handler runs inside the engine's `publish`, so it only formats text and hands it to `emit`
(which queues it); every handler is wrapped so that an exception here is logged, never raised
into the engine. Mapping:

- `OrderEvent`: the first OPEN/TRIGGER_PENDING of an order → order_placed; FILLED →
  order_filled; REJECTED → order_rejected.
- `ExitTriggeredEvent`: stop/trailing → stop_hit, target → target_hit.
- `RiskRejectedEvent`: "circuit_breaker" → circuit_breaker; a limit (daily loss, drawdown,
  size, rate, price band, ...) → risk_limit, once until an entry is placed again or the runner
  resumes (a strategy retrying every bar against a tripped limit would otherwise page the trader
  every minute). Routine refusals (market closed, after square-off, halted) send nothing.
- `StrategyStateEvent` "halted" → emergency_stop; `FeedStatusEvent` → feed_down / feed_up;
  `BrokerSessionEvent` (not valid) → session_expired; `ErrorEvent` → error (the same text at
  most once per `error_repeat_s`); `DailySummaryEvent` → daily_summary.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from scalpbot.alerts import messages
from scalpbot.alerts.delivery import Alert
from scalpbot.domain import OrderStatus
from scalpbot.engine.bus import EventBus
from scalpbot.engine.events import (
    BrokerSessionEvent,
    DailySummaryEvent,
    ErrorEvent,
    ExitTriggeredEvent,
    FeedStatusEvent,
    OrderEvent,
    RiskRejectedEvent,
    StrategyStateEvent,
)

log = logging.getLogger(__name__)

E = TypeVar("E")

#: Refusals that are the normal working of the rules, not a limit being hit.
ROUTINE_REFUSALS = frozenset({"market_closed", "after_square_off", "halted"})
_PLACED = frozenset({OrderStatus.OPEN, OrderStatus.TRIGGER_PENDING})
_REMEMBERED_ORDERS = 5000


class EventRouter:
    """Turns engine events into `Alert`s handed to `emit`.

    `muted()` true means "events are being replayed" (a resumed session re-deriving its state):
    they were alerted the first time, so nothing is sent for them.
    """

    def __init__(
        self,
        emit: Callable[[Alert], None],
        *,
        muted: Callable[[], bool] | None = None,
        error_repeat_s: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._emit = emit
        self._muted = muted
        self._error_repeat_s = error_repeat_s
        self._monotonic = monotonic
        # entry id → (instrument, strategy id), for naming the instrument of an exit.
        self._orders: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._placed: set[str] = set()
        self._tripped: set[str] = set()
        self._errors: dict[str, float] = {}

    def attach(self, bus: EventBus) -> Callable[[], None]:
        """Subscribe to `bus`; returns a function that removes every subscription."""
        removers = [
            self._on(bus, OrderEvent, self._order),
            self._on(bus, ExitTriggeredEvent, self._exit),
            self._on(bus, RiskRejectedEvent, self._risk),
            self._on(bus, StrategyStateEvent, self._state),
            self._on(bus, FeedStatusEvent, self._feed),
            self._on(bus, BrokerSessionEvent, self._broker),
            self._on(bus, ErrorEvent, self._error),
            self._on(bus, DailySummaryEvent, self._summary),
        ]

        def detach() -> None:
            for remove in removers:
                remove()

        return detach

    def _on(self, bus: EventBus, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        muted = self._muted

        def guarded(event: E) -> None:
            try:
                if muted is not None and muted():
                    return
                handler(event)
            except Exception:
                log.exception("alerts: could not handle %s", kind.__name__)

        return bus.subscribe(kind, guarded)

    def _send(self, event: str, text: str, ts: int) -> None:
        self._emit(Alert(event, text, messages.session_time(ts)))

    # -- handlers -----------------------------------------------------------------------------
    def _order(self, event: OrderEvent) -> None:
        order = event.order
        oid = order.client_order_id
        if oid not in self._orders:
            self._orders[oid] = (order.instrument.key, order.strategy_id)
            if len(self._orders) > _REMEMBERED_ORDERS:
                self._orders.popitem(last=False)
        status = order.status
        if status in _PLACED:
            if oid not in self._placed:
                self._placed.add(oid)
                if order.role == "entry":
                    self._tripped.clear()  # entries pass the limits again
                self._send("order_placed", messages.order_placed_text(order), event.ts)
            return
        if status.is_terminal:
            self._placed.discard(oid)
        if status is OrderStatus.FILLED:
            self._send("order_filled", messages.order_filled_text(order), event.ts)
        elif status is OrderStatus.REJECTED:
            self._send("order_rejected", messages.order_rejected_text(order), event.ts)

    def _exit(self, event: ExitTriggeredEvent) -> None:
        instrument, strategy_id = self._orders.get(event.parent_id, (None, None))
        name = "target_hit" if event.kind == "target" else "stop_hit"
        self._send(name, messages.exit_text(event, instrument, strategy_id), event.ts)

    def _risk(self, event: RiskRejectedEvent) -> None:
        code = event.code
        if code in ROUTINE_REFUSALS or code in self._tripped:
            return
        self._tripped.add(code)
        name = "circuit_breaker" if code == "circuit_breaker" else "risk_limit"
        self._send(name, messages.risk_text(event), event.ts)

    def _state(self, event: StrategyStateEvent) -> None:
        if event.state == "running":
            self._tripped.clear()
        elif event.state == "halted":
            self._send("emergency_stop", messages.emergency_stop_text(event), event.ts)

    def _feed(self, event: FeedStatusEvent) -> None:
        name = "feed_up" if event.up else "feed_down"
        self._send(name, messages.feed_text(event), event.ts)

    def _broker(self, event: BrokerSessionEvent) -> None:
        if not event.valid:
            self._send("session_expired", messages.broker_session_text(event), event.ts)

    def _error(self, event: ErrorEvent) -> None:
        text = messages.error_text(event)
        now = self._monotonic()
        last = self._errors.get(text)
        if last is not None and now - last < self._error_repeat_s:
            return
        if len(self._errors) > 1000:
            self._errors = {t: s for t, s in self._errors.items() if now - s < self._error_repeat_s}
        self._errors[text] = now
        self._send("error", text, event.ts)

    def _summary(self, event: DailySummaryEvent) -> None:
        self._send("daily_summary", messages.daily_summary_text(event), event.ts)
