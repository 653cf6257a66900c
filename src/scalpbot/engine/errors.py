"""Failures of the engine's own machinery, as opposed to a strategy's bugs.

A strategy's exception is reported and the session goes on; these must stop the session,
because trading on after the journal failed would send orders the store does not know of.
"""

from __future__ import annotations

from scalpbot.domain import ScalpbotError


class EngineFault(ScalpbotError):
    """Stops the session: never caught on a strategy's behalf."""


class JournalError(EngineFault):
    """An order could not be written to the journal, so it was not sent."""
