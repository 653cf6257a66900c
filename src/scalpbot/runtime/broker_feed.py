"""`BrokerFeed`: a live session's market data, from the broker's streaming connection.

The broker's stream (its websocket client) calls back on the event loop with ticks; this feed
queues them and hands them to the session's loop as a plain `Feed`, so a live session consumes
market data exactly as a paper session consumes the simulated market. The stream object owns
reconnecting and resubscribing; the feed only starts it, relays it and closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Protocol

from scalpbot.domain import Tick

log = logging.getLogger(__name__)

#: Ticks waiting for the session. A session that falls this far behind drops the oldest: for a
#: scalper a stale tick is worth less than a fresh one, and memory must stay bounded.
MAX_QUEUED = 100_000


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

    def __init__(self, instruments: Sequence[str], *, mode: str = "full") -> None:
        self.instruments = list(instruments)
        self.mode = mode
        self.stream: MarketStream | None = None
        self._queue: asyncio.Queue[Tick | None] = asyncio.Queue()
        self._task: asyncio.Task[Any] | None = None
        self._closed = False
        self.dropped = 0
        self.failure: BaseException | None = None
        self.on_failure: Callable[[BaseException], None] | None = None

    def attach(self, stream: MarketStream) -> None:
        self.stream = stream

    def push(self, ticks: list[Tick]) -> None:
        """Called by the stream (through the gateway) with each decoded frame's ticks."""
        queue = self._queue
        for tick in ticks:
            if queue.qsize() >= MAX_QUEUED:
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(tick)

    async def events(self) -> AsyncIterator[Tick]:
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
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._queue.put_nowait(None)
