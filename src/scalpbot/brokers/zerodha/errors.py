"""Kite's error replies in scalpbot's error vocabulary.

Kite answers a failed call with `{"status": "error", "message": ..., "error_type": ...}` and an
HTTP status. The engine must not care which broker it talks to, so every such reply becomes one
of the domain errors, chosen by what the caller should do next:

- `SessionExpired`: log in again (TokenException);
- `OrderRejected`: the order (or its modify/cancel) was refused, Kite's message says why;
- `BrokerUnavailable`: try again later; for a read the client already retried;
- `RateLimited`: HTTP 429, we went too fast;
- `BrokerError`: anything else that retrying will not fix (e.g. a bad read argument).

`OrderOutcomeUnknown` is this adapter's own: a write that may or may not have reached Kite. Only
the order code sees it, and resolves it by looking the order up, never by sending it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from scalpbot.brokers.zerodha.constants import LOGIN_HINT
from scalpbot.domain import (
    BrokerError,
    BrokerUnavailable,
    OrderRejected,
    RateLimited,
    SessionExpired,
)

# Refusals of an order request, final: sending the same again would be refused again.
ORDER_REFUSALS = frozenset(
    {
        "InputException",
        "OrderException",
        "MarginException",
        "HoldingException",
        "UserException",
        "PermissionException",
    }
)
# Kite (or its OMS) could not complete the call; the outcome of a write is unknown.
TRANSIENT = frozenset({"NetworkException", "DataException", "GeneralException"})


class OrderOutcomeUnknown(BrokerUnavailable):
    """A write was sent and its answer lost (timeout, dropped connection, 5xx): whether Kite
    acted on it is unknown. Never retried blindly; the order is looked up by its tag."""


class KiteRateLimited(RateLimited):
    """HTTP 429; `retry_after` is the wait Kite asked for in seconds (0 when it did not say)."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _same(text: str) -> str:
    return text


def error_from_reply(
    status_code: int,
    body: Mapping[str, Any] | None,
    what: str,
    *,
    write: bool = False,
    retry_after: float = 0.0,
    scrub: Callable[[str], str] = _same,
) -> BrokerError:
    """The domain error for one failed reply.

    `what` names the call ("GET /quote") for the message; `write` is True for order calls, where
    an input error is the order's rejection and a transient failure leaves the outcome unknown.
    `scrub` removes secrets from Kite's message before it goes into ours.
    """
    error_type = str(body.get("error_type") or "") if body else ""
    message = scrub(str(body.get("message") or "").strip()) if body else ""
    detail = f"{what}: Kite said {message!r}" if message else f"{what}: HTTP {status_code}"
    if error_type:
        detail += f" ({error_type})"
    if status_code == 429:
        refused = "; Kite did not take the request" if write else ""
        return KiteRateLimited(f"{detail}; too many requests, slow down{refused}", retry_after)
    if error_type == "TokenException":
        return SessionExpired(f"{detail}; the Kite session has expired or was ended: {LOGIN_HINT}")
    if error_type in ORDER_REFUSALS:
        if write:
            return OrderRejected(detail)
        return BrokerError(detail)
    transient = error_type in TRANSIENT or (not error_type and status_code >= 500)
    if transient:
        if write:
            return OrderOutcomeUnknown(f"{detail}; the request was sent, its outcome is unknown")
        return BrokerUnavailable(f"{detail}; Kite is unavailable, try again later")
    if status_code == 403 and not error_type:
        return SessionExpired(f"{detail}; access denied: {LOGIN_HINT}")
    if write and 400 <= status_code < 500:
        return OrderRejected(detail)
    if status_code >= 500:
        return (OrderOutcomeUnknown if write else BrokerUnavailable)(detail)
    return BrokerError(detail)
