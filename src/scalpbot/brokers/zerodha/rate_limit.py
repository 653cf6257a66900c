"""Client-side rate limits, so Kite never has to answer 429.

Kite allows orders 10/s and 400/min, quotes 1/s, historical candles 3/s and everything else
10/s per API key. Going over earns a 429 that, for an order, costs a trading opportunity; waiting
a few milliseconds here costs nothing. So a caller over its limit *waits* (sleeps until the
window has room) instead of failing.

Each limit is a sliding window over the times of the last `limit` requests, which is exact: no
window of `period` seconds ever holds more than `limit` requests. The clock is injectable so the
tests drive time by hand.

    limits = KiteRateLimits()
    limits.acquire("quote")      # returns at once, or after sleeping until a quote may go
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Literal, Protocol

from scalpbot.brokers.zerodha.constants import (
    HISTORICAL_LIMIT_PER_SECOND,
    ORDER_LIMIT_PER_MINUTE,
    ORDER_LIMIT_PER_SECOND,
    OTHER_LIMIT_PER_SECOND,
    QUOTE_LIMIT_PER_SECOND,
)

Category = Literal["order", "quote", "historical", "other"]
CATEGORIES: tuple[Category, ...] = ("order", "quote", "historical", "other")


class Clock(Protocol):
    """Monotonic seconds and a way to wait; `SystemClock` in production, fakes in tests."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: `time.monotonic` and `time.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SlidingWindow:
    """At most `limit` events in any `period` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1 or period <= 0:
            raise ValueError(f"a rate limit needs limit >= 1 and period > 0, got {limit}/{period}")
        self.limit = limit
        self.period = period
        self._times: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more event fits (0 when it fits now)."""
        while self._times and self._times[0] <= now - self.period:
            self._times.popleft()
        if len(self._times) < self.limit:
            return 0.0
        return self._times[0] + self.period - now

    def record(self, now: float) -> None:
        self._times.append(now)


class RateLimiter:
    """Several windows that must all have room (e.g. 10/s *and* 400/min for orders)."""

    def __init__(
        self, windows: Iterable[SlidingWindow], clock: Clock, lock: threading.Lock
    ) -> None:
        self.windows = tuple(windows)
        self._clock = clock
        self._lock = lock

    def acquire(self) -> float:
        """Wait until every window has room, then take a slot; returns the seconds waited."""
        waited = 0.0
        while (delay := self._take()) > 0:
            self._clock.sleep(delay)
            waited += delay
        return waited

    def try_acquire(self) -> bool:
        """Take a slot if every window has room now; never waits (for the event loop)."""
        return self._take() <= 0

    def _take(self) -> float:
        """Take a slot if every window has room (0), else the seconds until one will."""
        with self._lock:
            now = self._clock.monotonic()
            delay = max((w.wait_time(now) for w in self.windows), default=0.0)
            if delay <= 0:
                for window in self.windows:
                    window.record(now)
            return delay


class KiteRateLimits:
    """One `RateLimiter` per kind of Kite call, sharing one clock (thread-safe)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        lock = threading.Lock()
        self._limiters: dict[Category, RateLimiter] = {
            "order": RateLimiter(
                [
                    SlidingWindow(ORDER_LIMIT_PER_SECOND, 1.0),
                    SlidingWindow(ORDER_LIMIT_PER_MINUTE, 60.0),
                ],
                self.clock,
                lock,
            ),
            "quote": RateLimiter([SlidingWindow(QUOTE_LIMIT_PER_SECOND, 1.0)], self.clock, lock),
            "historical": RateLimiter(
                [SlidingWindow(HISTORICAL_LIMIT_PER_SECOND, 1.0)], self.clock, lock
            ),
            "other": RateLimiter([SlidingWindow(OTHER_LIMIT_PER_SECOND, 1.0)], self.clock, lock),
        }

    def acquire(self, category: Category) -> float:
        """Block until a `category` request may go; returns the seconds waited."""
        return self._limiter(category).acquire()

    def try_acquire(self, category: Category) -> bool:
        """Take a `category` slot if one is free now, else False at once."""
        return self._limiter(category).try_acquire()

    def _limiter(self, category: Category) -> RateLimiter:
        limiter = self._limiters.get(category)
        if limiter is None:
            raise ValueError(f"unknown rate-limit category {category!r}; one of {CATEGORIES}")
        return limiter
