"""What every alert channel shares: the message, how a send fails, and the channel's health.

A channel (Telegram, e-mail) is a `Sender`: one `send` per message, which either returns or
raises `DeliveryError` saying whether trying again could help. Everything else — queueing,
retries, the per-minute cap — lives in the dispatcher, so it is written once for all channels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Alert:
    """One notification: which event it is about (an `EVENT_NAMES` name, "test" or "folded"),
    its text, and the session time of the event as IST text ("" when unknown)."""

    event: str
    text: str
    at: str = ""


class DeliveryError(Exception):
    """A send failed. `retryable` is False when trying again cannot help (a bad token, a
    refused recipient); `retry_after` is the wait the server asked for, in seconds."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Sender(Protocol):
    """One alert channel. `max_chars` bounds a message's text (Telegram takes 4096)."""

    name: str
    max_chars: int

    async def send(self, alert: Alert) -> None:
        """Deliver `alert` or raise `DeliveryError`."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliveryTuning:
    """How hard a channel tries and how much it may send.

    Retries back off exponentially (`base_delay_s`, doubling, at most `max_delay_s`) up to
    `max_attempts` tries; a server's own retry-after wins (up to `max_retry_after_s`). At most
    `per_minute` messages go out per `window_s`; when more wait than the window still allows,
    they are folded into one. The queue holds `max_queue` alerts; beyond that the oldest are
    dropped and counted, so a dead channel can never grow memory without bound.
    """

    per_minute: int = 20
    window_s: float = 60.0
    max_attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    max_retry_after_s: float = 600.0
    max_queue: int = 500

    def backoff(self, attempt: int) -> float:
        """The wait after failed try number `attempt` (1-based)."""
        return float(min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s))


def utc_now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class AlertStatus:
    """The health of one channel, for the dashboard: what went out, what failed and why.

    `failures` counts messages given up on (after their retries), `retries` single failed
    tries that were tried again; `dropped` alerts lost to a full queue or to shutting down.
    Times are UTC ISO text. `last_error` never holds a secret (senders redact them).
    """

    channel: str
    sent: int = 0
    failures: int = 0
    retries: int = 0
    dropped: int = 0
    folded: int = 0
    queued: int = 0
    last_error: str | None = None
    last_error_at: str | None = None
    last_success_at: str | None = None

    def record_success(self) -> None:
        self.sent += 1
        self.last_success_at = utc_now_text()

    def record_failure(self, message: str) -> None:
        self.failures += 1
        self.last_error = message
        self.last_error_at = utc_now_text()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
