"""The errors scalpbot raises across layers.

Brokers translate their own error replies into these, so the engine and the user see one
vocabulary whichever broker is behind it. Every message should say what was wrong and what to do.
"""

from __future__ import annotations


class ScalpbotError(Exception):
    """Base of every error scalpbot raises on purpose."""


class ConfigError(ScalpbotError):
    """A setting, argument or input file is invalid; the message names it."""


class DataError(ScalpbotError):
    """Market data could not be read; the message names the file, line and problem."""


class ControlError(ScalpbotError):
    """A control action (pause, resume, stop, ...) the session's state does not allow now."""


class OrderStateError(ScalpbotError):
    """An order was asked to move along a transition its state machine does not allow."""


class InstrumentNotFound(ScalpbotError):
    """No instrument with that symbol is known on that exchange."""


class BrokerError(ScalpbotError):
    """A broker call failed. `retryable` says whether the same read may be tried again."""

    retryable = False


class OrderRejected(BrokerError):
    """The broker (or our own risk checks) refused an order; the reason is the message."""


class SessionExpired(BrokerError):
    """The broker session/token is no longer valid: log in again before trading."""


class RateLimited(BrokerError):
    """The broker asked us to slow down (HTTP 429 or its own code)."""

    retryable = True


class BrokerUnavailable(BrokerError):
    """Network failure, timeout or 5xx: the broker's answer is unknown."""

    retryable = True
