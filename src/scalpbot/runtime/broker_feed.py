"""`BrokerFeed`: a live session's market data, from the broker's streaming connection.

The broker's stream (its websocket client) calls back on the event loop with ticks; this feed
queues them and hands them to the session's loop as a plain `Feed`, so a live session consumes
market data exactly as a paper session consumes the simulated market. The stream object owns
reconnecting and resubscribing; the feed only starts it, relays it and closes it.

Gaps. While the stream is down no ticks come, so the bars of those minutes would be missing and
every indicator would silently skip them. When the stream is back, the feed holds the new ticks,
asks the broker's history for the bars between the last tick before the drop and the first one
after it, and hands the session a `Backfill` before the held ticks, so bars stay in time order.
History that does not come within `backfill_timeout_s` is given up (the session logs it): the
held ticks are released rather than trading blind for longer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from scalpbot.data.feeds import Backfill
from scalpbot.domain import IST, Bar, Tick

log = logging.getLogger(__name__)

#: Ticks waiting for the session. A session that falls this far behind drops the oldest: for a
#: scalper a stale tick is worth less than a fresh one, and memory must stay bounded.
MAX_QUEUED = 100_000


#: The broker's bars of one instrument (our key) between two moments, at the session's timeframe.
HistorySource = Callable[[str, datetime, datetime], Sequence[Bar]]

NS_PER_MINUTE = 60_000_000_000


class MarketStream(Protocol):
    """What a broker adapter's streaming client offers (Zerodha's `KiteTickerClient`, ...)."""

    def subscribe(self, keys: Sequence[str], mode: str = "full") -> None: ...

    async def run(self) -> None: ...

    async def close(self) -> None: ...


class BrokerFeed:
    """Feed of live ticks for `instruments` (our keys, "NSE:INFY") from a broker stream.

    feed = BrokerFeed(instruments)
    stream = broker.stream(gateway)       # gateway.tick_sink = feed.push
    feed.attach(stream)
    async for tick in feed.events(): ...
    """

    def __init__(
        self,
        instruments: Sequence[str],
        *,
        mode: str = "full",
        history: HistorySource | None = None,
        backfill_timeout_s: float = 5.0,
    ) -> None:
        self.instruments = list(instruments)
        self.mode = mode
        self.history = history
        self.backfill_timeout_s = backfill_timeout_s
        self.stream: MarketStream | None = None
        self._queue: asyncio.Queue[Tick | Backfill | None] = asyncio.Queue()
        self._last_tick_ns = 0
        self._gap_from_ns: int | None = None  # last tick before the stream dropped
        self._reconnected = False
        self._held: list[Tick] | None = None  # ticks held while a gap is being backfilled
        self._backfill: asyncio.Task[None] | None = None
        self._task: asyncio.Task[Any] | None = None
        self._closed = False
        self.dropped = 0
        self.failure: BaseException | None = None
        self.on_failure: Callable[[BaseException], None] | None = None

    def attach(self, stream: MarketStream) -> None:
        self.stream = stream

    def on_status(self, connected: bool, message: str) -> None:
        """The stream's connection news: a drop opens a gap, the next tick after a reconnect
        closes it and starts its backfill."""
        if not connected:
            if self._gap_from_ns is None and self._last_tick_ns:
                self._gap_from_ns = self._last_tick_ns
            self._reconnected = False
        elif self._gap_from_ns is not None:
            self._reconnected = True

    def push(self, ticks: list[Tick]) -> None:
        """Called by the stream (through the gateway) with each decoded frame's ticks."""
        if not ticks:
            return
        if self._reconnected and self._gap_from_ns is not None and self._held is None:
            self._start_backfill(self._gap_from_ns, min(t.ts for t in ticks))
        newest = max(t.ts for t in ticks)
        if newest > self._last_tick_ns:
            self._last_tick_ns = newest
        if self._held is not None:
            room = MAX_QUEUED - len(self._held)
            self.dropped += max(0, len(ticks) - room)
            self._held.extend(ticks[: max(room, 0)])
            return
        self._enqueue(ticks)

    def _enqueue(self, ticks: list[Tick]) -> None:
        queue = self._queue
        for tick in ticks:
            if queue.qsize() >= MAX_QUEUED:
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(tick)

    # -- backfill ----------------------------------------------------------------------------
    def _start_backfill(self, gap_from_ns: int, gap_to_ns: int) -> None:
        self._gap_from_ns = None
        self._reconnected = False
        if self.history is None or gap_from_ns // NS_PER_MINUTE == gap_to_ns // NS_PER_MINUTE:
            return  # no whole minute was missed: nothing to ask history for
        self._held = []
        self._backfill = asyncio.get_running_loop().create_task(
            self._fill_gap(gap_from_ns, gap_to_ns)
        )

    async def _fill_gap(self, gap_from_ns: int, gap_to_ns: int) -> None:
        fill = Backfill(gap_from_ns, gap_to_ns)
        try:
            fill.bars = await asyncio.wait_for(
                asyncio.to_thread(self._fetch, gap_from_ns, gap_to_ns), self.backfill_timeout_s
            )
        except TimeoutError:
            fill.error = f"history did not answer within {self.backfill_timeout_s:g} s"
        except Exception as exc:  # a broker error: say so, keep trading on live ticks
            fill.error = f"{type(exc).__name__}: {exc}"
        finally:
            held, self._held = self._held or [], None
            self._queue.put_nowait(fill)
            self._enqueue(held)

    def _fetch(self, gap_from_ns: int, gap_to_ns: int) -> list[Bar]:
        """Every instrument's bars from the minute of the last tick to the first tick after the
        gap (in a worker thread: the broker's REST client blocks)."""
        assert self.history is not None
        start = datetime.fromtimestamp(gap_from_ns // NS_PER_MINUTE * 60, IST)
        end = datetime.fromtimestamp(gap_to_ns / 1e9, IST)
        bars: list[Bar] = []
        for key in self.instruments:
            bars.extend(self.history(key, start, end))
        return bars

    async def events(self) -> AsyncIterator[Tick | Backfill]:
        if self.stream is None:
            raise RuntimeError("BrokerFeed needs a stream: call attach() first")
        self.stream.subscribe(self.instruments, self.mode)
        self._task = asyncio.get_running_loop().create_task(self._run_stream())
        queue = self._queue
        while True:
            tick = await queue.get()
            if tick is None:
                if self.failure is not None:
                    raise self.failure
                return
            yield tick

    async def _run_stream(self) -> None:
        assert self.stream is not None
        try:
            await self.stream.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the stream gave up (e.g. the token expired): end the feed
            log.error("market data stream stopped: %s", exc)
            self.failure = exc
            if self.on_failure is not None:
                self.on_failure(exc)
        finally:
            self._queue.put_nowait(None)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.stream is not None:
            await self.stream.close()
        for task in (self._task, self._backfill):
            if task is not None:
                task.cancel()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._queue.put_nowait(None)
