"""Time-driven duties of a trading day, run on the session's clock (simulated or wall).

- MIS square-off: at 15:20 IST for equity and 15:25 for F&O (market.sessions decides), every
  open intraday position is closed at market and its working orders cancelled, once a day.
- Day boundaries: the engine resets its daily limits at IST midnight; the scheduler reports
  session open and close and calls the daily broker logout hook after the close.
Being driven by the clock it is given (never by timers of its own) keeps replays deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from decimal import Decimal

from scalpbot.domain import Product, ns_to_datetime
from scalpbot.engine.engine import Engine
from scalpbot.engine.events import DailySummaryEvent

Notify = Callable[[str, str], None]
CLOSE = time(15, 30)  # the normal session's close, IST: the day's summary follows it


class SessionScheduler:
    def __init__(
        self,
        engine: Engine,
        *,
        square_off: bool = True,
        notify: Notify | None = None,
        daily_logout: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.square_off = square_off
        self._notify = notify
        self._daily_logout = daily_logout
        self._day: date | None = None
        self._squared: set[str] = set()
        self._next_check_ns = 0
        self._summarised: date | None = None

    def on_time(self, now_ns: int) -> None:
        """Called before each event the session processes; cheap when nothing is due."""
        if now_ns < self._next_check_ns:
            return
        self._next_check_ns = now_ns + 1_000_000_000  # at most once per clock second
        moment = ns_to_datetime(now_ns)
        today = moment.date()
        if today != self._day:
            if self._day is not None and self._daily_logout is not None:
                self._daily_logout()
            self._day = today
            self._squared.clear()
            self._say("day", f"trading day {today.isoformat()}")
        if self.square_off:
            self._square_off_due(now_ns)
        if self._summarised != today and moment.time() >= CLOSE:
            self._summarised = today
            self._daily_summary(today, now_ns)

    def _daily_summary(self, day: date, now_ns: int) -> None:
        """After the close: the day's closed trades, gross and net P&L, charges, wins."""
        trades = [
            t for t in self.engine.portfolio.trades if ns_to_datetime(t.exit_ts).date() == day
        ]
        gross = sum((t.pnl for t in trades), Decimal(0))
        charges = sum((t.charges for t in trades), Decimal(0))
        event = DailySummaryEvent(
            day=day.isoformat(),
            trades=len(trades),
            wins=sum(1 for t in trades if t.net_pnl > 0),
            gross_pnl=gross,
            charges=charges,
            net_pnl=gross - charges,
            ts=now_ns,
        )
        self.engine.bus.publish(event)
        self._say("daily_summary", f"{day.isoformat()}: {event.trades} trades, net {event.net_pnl}")

    def _square_off_due(self, now_ns: int) -> None:
        engine = self.engine
        for key, instrument in engine.instruments.items():
            if key in self._squared or engine.settings.product is not Product.MIS:
                continue
            if not self.engine.session_rules.is_after_square_off(instrument, now_ns):
                continue
            self._squared.add(key)
            held = engine.portfolio.position_quantity(key)
            working = [o for o in engine.orders.working_orders() if o.instrument.key == key]
            if not held and not working:
                continue
            for context in engine.contexts.values():
                if context.instrument.key == key:
                    context.close()
                    break
            self._say("square_off", f"MIS square-off of {key}: closed {abs(held)} at market")

    def _say(self, kind: str, message: str) -> None:
        if self._notify is not None:
            self._notify(kind, message)
