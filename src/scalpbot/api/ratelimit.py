"""Slowing down password guessing: failed logins counted per username and per client address.

After `max_failures` failures within `window_s` seconds for the same username, or from the same
address, further attempts are refused (HTTP 429 with Retry-After) until the oldest failure in
the window ages out, whether the password would have been right or not: otherwise the refusal
itself would tell a guesser when they hit the right one. Counting per username stops a
distributed guess at one account; counting per address stops one client trying many names.
Kept in memory: a restart forgets the counts, which is acceptable for a single-user server and
costs a guesser a restart they cannot cause.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

#: Keys remembered at most; beyond it the stalest keys are forgotten (bounded memory even
#: when someone sprays usernames).
MAX_KEYS = 10_000


class LoginRateLimiter:
    def __init__(
        self,
        max_failures: int = 5,
        window_s: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_failures < 1 or window_s <= 0:
            raise ValueError("max_failures must be at least 1 and window_s positive")
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until an attempt for `username` from `address` is allowed; 0 if it is now."""
        now = self._clock()
        waits = [self._wait(key, now) for key in self._keys(username, address)]
        return max(waits)

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        for key in self._keys(username, address):
            times = self._failures.pop(key, None) or deque()
            times.append(now)
            while len(times) > self.max_failures:
                times.popleft()
            self._failures[key] = times  # re-inserted: dict order is least recently failed first
        while len(self._failures) > MAX_KEYS:
            del self._failures[next(iter(self._failures))]

    def succeeded(self, username: str) -> None:
        """A correct login clears the username's count (not the address's)."""
        self._failures.pop(self._user_key(username), None)

    def _wait(self, key: str, now: float) -> int:
        times = self._failures.get(key)
        if times is None:
            return 0
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0
        if len(times) < self.max_failures:
            return 0
        return max(1, math.ceil(self.window_s - (now - times[0])))

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        return self._user_key(username), f"address:{address}"

    @staticmethod
    def _user_key(username: str) -> str:
        return f"user:{username.strip().lower()}"
