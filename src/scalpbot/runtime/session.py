"""A trading session: one asyncio loop feeding market data through the paper exchange (or a
live broker) and the engine, journaling everything to the store.

Network and timing stay here, at the edge; the engine core runs synchronously on each event.

Restart and resume. A session is identified by a `resume_key` (what it trades, on what data,
with which parameters). Everything it writes is idempotent: orders are upserted by our client
id, fills by their id, status history only grows. With a deterministic feed (a replayed file,
or the seeded simulated market) resuming a killed session therefore means running it again
under the same session id: the engine, strategies and paper exchange re-derive exactly the
state they had at the last processed event (nothing new is written for that stretch, and with
the paper broker nothing is re-sent anywhere but to the fresh simulation), then the session
continues from there. Before trading on, the re-derived paper book is reconciled with the
book stored at the last checkpoint; if they differ the session refuses to continue and says
why. (A live broker is reconciled against its own order book instead — the broker adapters
bring that.)
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Protocol

from scalpbot.brokers.paper import PaperExchange
from scalpbot.data.aggregator import BarAggregator
from scalpbot.data.feeds import Backfill, Feed
from scalpbot.domain import Bar, Fill, OrderGateway, Tick
from scalpbot.engine.clock import SimulatedClock
from scalpbot.engine.engine import Engine
from scalpbot.engine.events import (
    ErrorEvent,
    ExitTriggeredEvent,
    FillEvent,
    RiskRejectedEvent,
    StrategyStateEvent,
)
from scalpbot.market.charges import charges_model
from scalpbot.runtime.backfill_note import backfill_note
from scalpbot.runtime.order_journal import OrderJournal, ReconciliationError
from scalpbot.runtime.reconcile import book_from_paper_state, reconcile
from scalpbot.runtime.recorder import EquityRecorder, session_report
from scalpbot.runtime.scheduler import SessionScheduler
from scalpbot.runtime.session_spec import SessionSpec, StrategySlot
from scalpbot.runtime.signals import install_signal_handlers
from scalpbot.store import Store

__all__ = ["SessionSpec", "StrategySlot", "TradingSession", "install_signal_handlers"]

CHECKPOINT_EVERY = 250  # events between progress/paper-book checkpoints
KEEP_FINISHED_ORDERS = 2_000  # finished orders kept in memory besides the store


class StatusSink(Protocol):
    def __call__(self, session: TradingSession) -> None: ...


class TradingSession:
    exchange: PaperExchange  # the paper venue (a live session has a broker gateway instead)

    def __init__(
        self,
        spec: SessionSpec,
        feed: Feed,
        store: Store,
        *,
        resume: bool = False,
        status: StatusSink | None = None,
        status_interval_s: float = 1.0,
    ) -> None:
        self.spec = spec
        self.feed = feed
        self.store = store
        self.session_id, self._resume_from = self._open_session(resume)
        self._recovering = self._resume_from > 0
        # A run killed before its first checkpoint re-derives from the start, not recovering,
        # but the store may already hold its orders further along: so whenever a stored
        # session is resumed, what it wrote bounds what must be compared rather than saved.
        written_until = self._last_written_ts() if resume else -1
        self._logged_until = self.store.events.last_ts(self.session_id) if resume else -1
        # Ids carry the session id: unique across sessions in one store, identical on resume.
        self.clock = SimulatedClock()
        self.journal = OrderJournal(
            store, self.session_id, self.clock, lambda: self._recovering, written_until
        )
        self.gateway = self._make_gateway()
        self.engine = Engine(
            self.gateway,
            self.clock,
            charges_model(spec.charges),
            spec.risk,
            dataclasses.replace(spec.engine_settings, id_prefix=self._id_prefix()),
            journal=self.journal.journal,
            journal_sent=self.journal.sent,
            session_rules=spec.session_rules,
        )
        for slot in spec.slots:
            self.engine.add_strategy(slot.strategy, slot.instrument, slot.strategy_id)
            if getattr(slot.strategy, "uses_atr", False):
                self.engine.track_atr(slot.instrument.key)
        self.aggregator = BarAggregator(spec.timeframe_minutes)
        self.scheduler = SessionScheduler(
            self.engine, square_off=spec.square_off, notify=self._note
        )
        self.recorder = EquityRecorder()
        self.events_processed = 0
        self.bars_processed = 0
        self.stop_reason = ""
        self._stop_requested = False
        self._status = status
        self._status_interval = status_interval_s
        self._last_status = 0.0
        self._subscribe()

    def _id_prefix(self) -> str:
        """Start of our client order ids: the session id makes them unique in this store."""
        return f"S{self.session_id}X"

    def _make_gateway(self) -> OrderGateway:
        """Where orders go: the paper exchange here; a live session sends them to its broker."""
        self.exchange = PaperExchange(id_prefix=f"P{self.session_id}X")
        return self.exchange

    # -- session record ---------------------------------------------------------------------
    def _open_session(self, resume: bool) -> tuple[int, int]:
        spec = self.spec
        if resume:
            found = self.store.sessions.find_resumable(spec.resume_key)
            if found is not None:
                self.store.sessions.set_status(found.id, "running")
                return found.id, found.last_bar_index or 0
        strategies = [
            {
                "id": s.strategy_id,
                "name": s.spec,
                "params": s.params,
                "instrument": s.instrument.key,
            }
            for s in spec.slots
        ]
        session_id = self.store.sessions.create(
            mode=spec.mode,
            broker=spec.broker,
            strategies=strategies,
            config=spec.config_snapshot,
            data_source=spec.data_source,
            resume_key=spec.resume_key,
        )
        return session_id, 0

    def _last_written_ts(self) -> int:
        """The latest event time anything of this session reached the store (a killed run may
        have written past its last checkpoint)."""
        orders = self.store.orders.for_session(self.session_id)
        fills = self.store.fills.for_session(self.session_id)
        stamps = [o.updated_ts for o in orders] + [o.created_ts for o in orders]
        stamps += [f.ts for f in fills]
        return max(stamps, default=-1)

    @property
    def resumed_from(self) -> int:
        """Events a resumed session re-derived before continuing (0 for a fresh one)."""
        return self._resume_from

    # -- journal and event log ----------------------------------------------------------------
    def _record_fill(self, fill: Fill) -> None:
        if not self._recovering:
            self.store.fills.add(fill, self.session_id)

    def _subscribe(self) -> None:
        bus = self.engine.bus
        bus.subscribe(FillEvent, lambda e: self._record_fill(e.fill))
        bus.subscribe(
            RiskRejectedEvent,
            lambda e: self._event(
                "risk_rejected",
                f"{e.strategy_id} {e.instrument_key}: {e.code}: {e.message}",
                {"code": e.code},
                e.ts,
            ),
        )
        bus.subscribe(
            ErrorEvent, lambda e: self._event("error", f"{e.source}: {e.message}", None, e.ts)
        )
        bus.subscribe(
            StrategyStateEvent,
            lambda e: self._event(
                "state", f"runner {e.state}" + (f": {e.reason}" if e.reason else ""), None, e.ts
            ),
        )
        bus.subscribe(
            ExitTriggeredEvent,
            lambda e: self._event(
                f"{e.kind}_hit", f"{e.kind} exit of {e.parent_id} at {e.price}", None, e.ts
            ),
        )

    def _event(self, kind: str, message: str, data: dict[str, Any] | None, ts: int) -> None:
        if self._recovering or ts <= self._logged_until:
            return  # already logged before the restart
        self.store.events.add(kind, message, data, self.session_id, ts)

    def _note(self, kind: str, message: str) -> None:
        self._event(kind, message, None, self.clock.now_ns())

    # -- running ----------------------------------------------------------------------------
    def request_stop(self, reason: str = "stop requested") -> None:
        self._stop_requested = True
        self.stop_reason = reason

    async def run(self) -> dict[str, Any]:
        """Trade until the feed ends or a stop is requested; returns the session report."""
        self.engine.start()
        completed = False
        try:
            async for event in self.feed.events():
                if type(event) is Bar:
                    self._on_bar(event)
                elif type(event) is Backfill:
                    self._on_backfill(event)
                else:
                    self._on_tick(event)  # type: ignore[arg-type]
                self._after_event()
                if self._stop_requested:
                    break
            else:
                completed = not self._stop_requested  # a live feed ends when asked to stop
        finally:
            await self.feed.close()
        if completed:
            self._flush_bars()
        self.engine.stop(cancel_orders=self.spec.cancel_orders_on_stop)
        await self._settle()
        self._checkpoint()
        self.store.positions.snapshot(
            self.session_id, self.clock.now_ns(), list(self.engine.portfolio.positions())
        )
        report = self.report()
        if completed:
            self.store.sessions.finish(self.session_id, "completed", report["metrics"])
        else:
            self.store.sessions.set_status(self.session_id, "interrupted")
        self._emit_status(force=True)
        return report

    async def _settle(self) -> None:
        """After the engine stopped: wait for what is still on its way to the broker (the paper
        exchange answers at once, so nothing here)."""

    def _on_bar(self, bar: Bar) -> None:
        clock = self.clock
        clock.ts = bar.ts
        self.scheduler.on_time(bar.ts)
        self.exchange.on_bar(bar)
        self._engine_bar(bar)

    def _on_tick(self, tick: Tick) -> None:
        self.clock.ts = tick.ts
        self.scheduler.on_time(tick.ts)
        self.exchange.on_tick(tick)
        self.engine.on_tick(tick)
        for bar in self.aggregator.on_tick(tick):
            self._engine_bar(bar)

    def _on_backfill(self, fill: Backfill) -> None:
        """Bars a live feed fetched from history for a gap in its ticks: the strategies see
        them as they would have live (but the paper exchange does not fill on them: nobody
        could have traded at those prices), and the equity curve, which runs forward in time,
        does not take points from the past; the event log says what was filled in."""
        bars = self.aggregator.accept_backfill(fill.bars, fill.gap_to_ns)
        for bar in bars:
            self.engine.on_bar(bar)
            self.bars_processed += 1
        kind, text, data = backfill_note(fill, bars)
        self._event(kind, text, data, self.clock.now_ns())

    def _engine_bar(self, bar: Bar) -> None:
        equity = self.engine.on_bar(bar)
        self.recorder.record(bar.ts, equity, self.engine.portfolio.has_open_positions())
        self.bars_processed += 1

    def _flush_bars(self) -> None:
        for bar in self.aggregator.flush(self.clock.now_ns() + 86_400_000_000_000):
            self._engine_bar(bar)

    def _after_event(self) -> None:
        self.events_processed += 1
        count = self.events_processed
        if self._recovering and count >= self._resume_from:
            self._reconcile()
            self._recovering = False  # also when there was no checkpoint to compare with
        if count % CHECKPOINT_EVERY == 0 and not self._recovering:
            self._checkpoint()
        self._emit_status()

    def _checkpoint(self) -> None:
        self.engine.orders.forget_finished(KEEP_FINISHED_ORDERS)  # the store holds them
        self.store.paper_state.save(self.session_id, self._book_state())
        self.store.sessions.update_progress(
            self.session_id, last_bar_index=self.events_processed, last_bar_ts=self.clock.ts
        )

    def _book_state(self) -> dict[str, Any]:
        return {"events": self.events_processed, "book": self.exchange.to_state()}

    def _reconcile(self) -> None:
        """After re-deriving a resumed session, reconcile it with the stored broker book.

        The paper book stored at the checkpoint is the broker's side. A re-derivation is exact,
        so anything but a full match (and an identical book) means the session cannot be
        continued safely; the error says what differs.
        """
        stored = self.store.paper_state.load(self.session_id)
        if stored is None or stored.get("events") != self.events_processed:
            return  # killed before this checkpoint was written: nothing to compare against
        result = reconcile(
            self.engine.orders.orders.values(), book_from_paper_state(stored["book"])
        )
        diverged = result.advanced or result.never_sent or result.adopted
        if not result.ok or diverged or stored.get("book") != self.exchange.to_state():
            raise ReconciliationError(
                f"session {self.session_id}: the re-derived session does not match the stored "
                f"paper order book at event {self.events_processed} ({result.explain()}); "
                "refusing to trade on. Start a new session (without --resume) or inspect the "
                "stored orders."
            )
        # Every order the store holds from before this point must have been re-derived.
        known = self.engine.orders.orders
        now = self.clock.ts
        missing = sorted(
            o.client_order_id
            for o in self.store.orders.for_session(self.session_id)
            if o.created_ts <= now and o.client_order_id not in known
        )
        if missing:
            raise ReconciliationError(
                f"session {self.session_id}: stored orders {', '.join(missing[:10])} were not "
                "re-derived on restart (did the strategy or its data change?); refusing to "
                "trade on."
            )
        self._recovering = False
        text = f"resumed at event {self.events_processed}: {result.explain()}"
        self.store.events.add("reconciled", text, None, self.session_id, self.clock.now_ns())

    # -- status -------------------------------------------------------------------------------
    def _emit_status(self, force: bool = False) -> None:
        if self._status is None:
            return
        now = time.monotonic()
        if force or now - self._last_status >= self._status_interval:
            self._last_status = now
            self._status(self)

    def report(self) -> dict[str, Any]:
        strategies = [
            {
                "id": s.strategy_id,
                "name": s.spec,
                "params": s.params,
                "instrument": s.instrument.key,
            }
            for s in self.spec.slots
        ]
        report = session_report(
            self.engine,
            self.recorder,
            strategies=strategies,
            initial_cash=self.spec.engine_settings.initial_cash,
            orders=self.store.orders.summaries(self.session_id),
        )
        report["bars"] = self.bars_processed
        report["session_id"] = self.session_id
        report["status"] = "completed" if not self._stop_requested else "interrupted"
        return report
