"""Notices when market data stops flowing, and when it flows again.

A feed that silently stalls (a dropped websocket, a hung replay) looks exactly like a quiet
market from inside the engine, which only reacts to events. So a small task watches from the
outside, in wall time: if the session's count of processed events has not moved for `timeout_s`
it publishes `FeedStatusEvent(up=False)` on the bus, and `FeedStatusEvent(up=True)` as soon as
the count moves again. Polling a counter the session keeps anyway costs the hot path nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from scalpbot.data.feeds import MAX_GAP_SECONDS
from scalpbot.engine.bus import EventBus
from scalpbot.engine.events import FeedStatusEvent

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0


def feed_timeout_s(feed: object, base_s: float = DEFAULT_TIMEOUT_S) -> float:
    """The silence after which `feed` counts as down: `base_s`, or three times the longest
    wait the feed itself makes between events when that is longer (a replay at real speed
    waits a whole bar between events, which is not an outage)."""
    speed = getattr(feed, "speed", None)
    if not speed:
        return base_s
    step_ns = getattr(feed, "step_ns", None)
    longest = step_ns / 1e9 / speed if isinstance(step_ns, int) else MAX_GAP_SECONDS / speed
    return max(base_s, 3.0 * float(longest))


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


class FeedWatchdog:
    """Publishes feed down/up on `bus` from the movement of `progress()` (events processed).

    watchdog = FeedWatchdog(bus, lambda: session.events_processed, session.clock.now_ns)
    watchdog.start()
    ...
    await watchdog.stop()
    """

    def __init__(
        self,
        bus: EventBus,
        progress: Callable[[], int],
        now_ns: Callable[[], int],
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        check_every_s: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not timeout_s > 0:
            raise ValueError(f"feed watchdog timeout must be positive, not {timeout_s!r}")
        self.bus = bus
        self.timeout_s = timeout_s
        self.check_every_s = check_every_s or min(1.0, timeout_s / 4)
        self.up = True
        self._down_at = 0.0
        self._progress = progress
        self._now_ns = now_ns
        self._monotonic = monotonic
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="scalpbot-feed-watchdog"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        seen = self._progress()
        last_change = self._monotonic()
        while True:
            await self._sleep(self.check_every_s)
            try:
                count = self._progress()
                now = self._monotonic()
                if count != seen:
                    seen, last_change = count, now
                    if not self.up:
                        silent = _seconds(now - self._down_at)
                        self._publish(True, f"events flowing again after {silent}")
                elif self.up and now - last_change >= self.timeout_s:
                    self._down_at = last_change
                    self._publish(False, f"no market data for {_seconds(now - last_change)}")
            except Exception:  # a subscriber's failure must not end the watch
                log.exception("feed watchdog: publishing the feed status failed")

    def _publish(self, up: bool, message: str) -> None:
        self.up = up
        (log.info if up else log.warning)("feed %s: %s", "up" if up else "down", message)
        self.bus.publish(FeedStatusEvent(up, message, self._now_ns()))
