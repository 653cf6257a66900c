"""Fan-out of the running session's events to WebSocket clients.

The engine publishes on its bus synchronously, inside the session's loop; a handler here must
therefore never wait. Each message is encoded to JSON once and appended to every interested
client's bounded queue; a client that reads too slowly loses its oldest messages (and is told
how many), it never slows the engine or the other clients. Each client's own task drains its
queue onto its socket.

Messages are `{"type": ..., "data": {...}}`:
- "status" (the body of GET /api/status) and "pnl", at most twice a second, only when changed;
- "order", "fill", "position" as they happen;
- "log": new lines of the event log (GET /api/logs), polled from the store;
- "tick": only for the instruments the client asked for with `{"watch": ["NSE:INFY"]}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from scalpbot.api.views import event_view, fill_view, status_document, tick_view
from scalpbot.domain import Tick
from scalpbot.engine.events import FillEvent, OrderEvent, PositionEvent
from scalpbot.runtime.control import order_view, position_view
from scalpbot.runtime.manager import SessionManager
from scalpbot.runtime.session import TradingSession
from scalpbot.store import Store

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
MAX_WATCHED = 50
LOG_LINES_PER_POLL = 200


def encode(kind: str, data: Any) -> str:
    return json.dumps({"type": kind, "data": data}, default=str, separators=(",", ":"))


class PushClient:
    """One WebSocket's outbox: a bounded queue that drops its oldest message when full."""

    def __init__(self, size: int = QUEUE_SIZE) -> None:
        self.queue: deque[str] = deque(maxlen=size)
        self.watch: frozenset[str] = frozenset()
        self.dropped = 0
        self._ready = asyncio.Event()

    def put(self, message: str) -> None:
        if len(self.queue) == self.queue.maxlen:
            self.dropped += 1
        self.queue.append(message)
        self._ready.set()

    async def get(self) -> str:
        """The next message; when some were dropped, first a note saying how many."""
        while not self.queue:
            self._ready.clear()
            await self._ready.wait()
        if self.dropped:
            count, self.dropped = self.dropped, 0
            return encode("dropped", {"messages": count})
        return self.queue.popleft()


class PushHub:
    """Subscribes to each session the manager starts and fans its events out to clients."""

    def __init__(self, manager: SessionManager, store: Store, *, interval_s: float = 0.5) -> None:
        self.manager = manager
        self.store = store
        self.interval_s = interval_s
        self.clients: set[PushClient] = set()
        self._watched: frozenset[str] = frozenset()
        self._unsubscribe: list[Callable[[], None]] = []
        self._last_status = ""
        self._last_pnl = ""
        self._last_event_id = self._newest_event_id()
        self._task: asyncio.Task[None] | None = None
        manager.add_listener(self)

    # -- clients ------------------------------------------------------------------------------
    def connect(self) -> PushClient:
        client = PushClient()
        for message in self.snapshot():
            client.put(message)
        self.clients.add(client)
        return client

    def disconnect(self, client: PushClient) -> None:
        self.clients.discard(client)
        self._rewatch()

    def set_watch(self, client: PushClient, keys: list[str]) -> list[str]:
        client.watch = frozenset(keys[:MAX_WATCHED])
        self._rewatch()
        return sorted(client.watch)

    def _rewatch(self) -> None:
        self._watched = frozenset().union(*(c.watch for c in self.clients))

    def snapshot(self) -> list[str]:
        """What a client gets on connecting: status, P&L, positions and working orders."""
        messages = [encode("status", status_document(self.manager))]
        control = self.manager.control
        if control is not None:
            messages.append(encode("pnl", control.pnl()))
            messages += [encode("position", p) for p in control.positions()]
            messages += [encode("order", o) for o in control.orders()]
        return messages

    def broadcast(self, message: str) -> None:
        for client in self.clients:
            client.put(message)

    # -- bus subscriptions (SessionListener) ----------------------------------------------------
    def session_started(self, session: TradingSession) -> None:
        self._drop_subscriptions()
        bus = session.engine.bus
        self._unsubscribe = [
            bus.subscribe(OrderEvent, self._on_order),
            bus.subscribe(FillEvent, self._on_fill),
            bus.subscribe(PositionEvent, self._on_position),
            bus.subscribe(Tick, self._on_tick),
        ]

    def session_ended(self, session: TradingSession) -> None:
        self._drop_subscriptions()
        if self.clients:
            self._push_status(force=True)

    def _drop_subscriptions(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    def _on_order(self, event: OrderEvent) -> None:
        if self.clients:
            self.broadcast(encode("order", order_view(event.order)))

    def _on_fill(self, event: FillEvent) -> None:
        if self.clients:
            self.broadcast(encode("fill", fill_view(event.fill)))

    def _on_position(self, event: PositionEvent) -> None:
        if self.clients:
            self.broadcast(encode("position", position_view(event.position)))

    def _on_tick(self, tick: Tick) -> None:
        key = tick.instrument_key
        if key not in self._watched:
            return
        message = encode("tick", tick_view(tick))
        for client in self.clients:
            if key in client.watch:
                client.put(message)

    # -- the periodic part: status, P&L, log lines ------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="push-hub")

    async def close(self) -> None:
        self._drop_subscriptions()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            if not self.clients:
                continue
            try:
                self.tick()
            except Exception as exc:  # a push hiccup must not end the push for good
                log.warning("push: %s", exc)

    def tick(self) -> None:
        """One round of the periodic pushes (called every `interval_s` while clients exist)."""
        self._push_status()
        self._push_log_lines()

    def _push_status(self, force: bool = False) -> None:
        status = encode("status", status_document(self.manager))
        if force or status != self._last_status:
            self._last_status = status
            self.broadcast(status)
        control = self.manager.control
        if control is not None:
            pnl = encode("pnl", control.pnl())
            if force or pnl != self._last_pnl:
                self._last_pnl = pnl
                self.broadcast(pnl)

    def _push_log_lines(self) -> None:
        recent = self.store.events.recent(LOG_LINES_PER_POLL)
        new = sorted((e for e in recent if e.id > self._last_event_id), key=lambda e: e.id)
        for event in new:
            self.broadcast(encode("log", event_view(event)))
        if new:
            self._last_event_id = new[-1].id

    def _newest_event_id(self) -> int:
        recent = self.store.events.recent(LOG_LINES_PER_POLL)
        return max((e.id for e in recent), default=0)
