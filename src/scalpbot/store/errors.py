"""What the store raises when a database cannot be opened, read or written.

Repositories translate SQLAlchemy's driver errors into `StoreError`, so callers (runtime, API,
CLI) catch one scalpbot error whatever the backend, and the message says which record failed.
"""

from __future__ import annotations

from scalpbot.domain.errors import ScalpbotError


class StoreError(ScalpbotError):
    """A database operation failed; nothing of it was written (each write is one transaction)."""


class RecordNotFound(StoreError):
    """An update or delete named a record that does not exist (an API maps this to 404)."""
