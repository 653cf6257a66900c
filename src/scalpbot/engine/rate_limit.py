"""A sliding-window rate limiter on the engine clock.

Exchanges and brokers cap how many orders a client may send per second; an order over the cap
is rejected by them anyway, so the risk manager refuses it first with a named reason. The
window slides on the timestamps the engine passes in (epoch ns), never on the wall clock, so a
backtest and a replay of a live session count the same orders the same way.

Each key (an exchange) keeps a deque of the times of the events inside the window; an event
is appended once and popped once, so checks are O(1) amortised however long the session runs.
"""

from __future__ import annotations

from collections import deque

NS_PER_SECOND = 1_000_000_000


class SlidingWindowLimiter:
    """At most `limit` events per key in any window of `window_ns` nanoseconds.

    An event at time t stops counting at t + window_ns: with a limit of 10 per second, ten
    orders at 09:15:00.0 fill the window and the next one is allowed from 09:15:01.0.

        >>> limiter = SlidingWindowLimiter(2)
        >>> limiter.try_acquire("NSE", 0), limiter.try_acquire("NSE", 1), limiter.allows("NSE", 2)
        (True, True, False)
        >>> limiter.allows("NSE", NS_PER_SECOND)
        True
    """

    __slots__ = ("_events", "_limit", "window_ns")

    def __init__(self, limit: int, window_ns: int = NS_PER_SECOND) -> None:
        if isinstance(window_ns, bool) or not isinstance(window_ns, int) or window_ns <= 0:
            raise ValueError(
                f"rate-limit window must be a positive number of ns, got {window_ns!r}"
            )
        self.window_ns = window_ns
        self._limit = _check_limit(limit)
        self._events: dict[str, deque[int]] = {}

    @property
    def limit(self) -> int:
        return self._limit

    @limit.setter
    def limit(self, value: int) -> None:
        """Changing the limit keeps the events already counted (settings edited mid-session)."""
        self._limit = _check_limit(value)

    def count(self, key: str, now_ns: int) -> int:
        """How many events of `key` fall in the window ending at `now_ns`."""
        events = self._events.get(key)
        if events is None:
            return 0
        cutoff = now_ns - self.window_ns
        while events and events[0] <= cutoff:
            events.popleft()
        return len(events)

    def allows(self, key: str, now_ns: int) -> bool:
        """True if one more event of `key` at `now_ns` would stay within the limit."""
        return self.count(key, now_ns) < self._limit

    def record(self, key: str, now_ns: int) -> None:
        """Count an event; call it only for events that actually happen (orders sent)."""
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        events.append(now_ns)

    def try_acquire(self, key: str, now_ns: int) -> bool:
        """Record an event if the limit allows it; returns whether it did."""
        if not self.allows(key, now_ns):
            return False
        self.record(key, now_ns)
        return True

    def snapshot(self, now_ns: int) -> dict[str, int]:
        """Events in the current window per key, for status displays (idle keys omitted)."""
        counts = {key: self.count(key, now_ns) for key in list(self._events)}
        return {key: n for key, n in counts.items() if n}


def _check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"rate limit must be an integer of at least 1, got {limit!r}")
    return limit
