"""Faults the sandbox injects on demand, so tests can prove the adapter survives them.

Kinds: "http_429" and "http_5xx" (the next `count` REST replies — of `method` only, if given
— are errors, nothing done),
"stall_order" (the next order is accepted into the book, then its reply is held for `seconds` —
past the client's timeout, so the outcome is unknown to it), "stall_request" (the next `count`
requests are held for `seconds`, then answered 503 with nothing done: a timeout before the
broker took the order), "fail_after_order" (the next order is accepted, then answered 503),
"reject_modify" (the next `count` modifications are refused as Kite refuses one it cannot make),
"malformed" (the next `count` replies to `path` are a success whose `data` has the wrong shape),
"expire_tokens" (every access token stops
working, as at 06:00 IST), "ws_drop" (every ticker connection is closed), "ws_down" (every
ticker connection is closed and new ones are refused with HTTP 503 for `seconds`, while the
market trades on), "ws_silent" (the ticker sends nothing, not even heartbeats, for `seconds`,
0 = until turned off) and "ws_garbage" (every ticker connection gets `count` malformed binary
frames: cut short, lying about their packet lengths, or random bytes).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

KINDS = (
    "http_429",
    "http_5xx",
    "stall_order",
    "stall_request",
    "fail_after_order",
    "reject_modify",
    "malformed",
    "expire_tokens",
    "ws_drop",
    "ws_down",
    "ws_silent",
    "ws_garbage",
)


@dataclass(slots=True)
class Faults:
    http_429: int = 0
    http_5xx: int = 0
    stall_orders: int = 0
    stall_seconds: float = 0.0
    stall_requests: int = 0
    stall_request_seconds: float = 0.0
    fail_after_orders: int = 0
    reject_modifies: int = 0
    malformed: int = 0
    malformed_path: str = ""
    http_method: str = ""  # the HTTP faults hit only requests of this method ("" = any)
    silent_until: float = 0.0  # monotonic time; inf = until turned off
    down_until: float = 0.0  # monotonic time until which new ticker connections are refused

    def next_http_fault(self, method: str = "") -> tuple[int, str, str] | None:
        if self.http_method and method != self.http_method:
            return None
        if self.http_429 > 0:
            self.http_429 -= 1
            return 429, "NetworkException", "Too many requests"
        if self.http_5xx > 0:
            self.http_5xx -= 1
            return 503, "NetworkException", "Service unavailable (sandbox fault)"
        return None

    def take_malformed(self, path: str) -> bool:
        return path == self.malformed_path and self.take("malformed")

    def take_request_stall(self) -> float:
        if self.stall_requests > 0:
            self.stall_requests -= 1
            return self.stall_request_seconds
        return 0.0

    def take(self, counter: str) -> bool:
        """Use up one of the named fault's count; False when none is left."""
        left = int(getattr(self, counter))
        if left > 0:
            setattr(self, counter, left - 1)
            return True
        return False

    def take_order_stall(self) -> float:
        if self.stall_orders > 0:
            self.stall_orders -= 1
            return self.stall_seconds
        return 0.0

    @property
    def silent(self) -> bool:
        return time.monotonic() < self.silent_until

    @property
    def down(self) -> bool:
        return time.monotonic() < self.down_until

    def set_silent(self, seconds: float) -> None:
        self.silent_until = time.monotonic() + seconds if seconds > 0 else float("inf")

    def clear(self) -> None:
        self.http_429 = self.http_5xx = self.stall_orders = 0
        self.stall_requests = self.fail_after_orders = self.reject_modifies = self.malformed = 0
        self.malformed_path = ""
        self.stall_request_seconds = 0.0
        self.http_method = ""
        self.stall_seconds = 0.0
        self.silent_until = 0.0
        self.down_until = 0.0
