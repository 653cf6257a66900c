"""Stopping a background task for certain.

`task.cancel()` asks; it does not guarantee. On Python 3.11, `asyncio.wait_for` (which network
libraries use for their timeouts) can swallow a cancellation that arrives just as the awaited
operation finishes, and the task then runs on. A session must still shut down, so stopping
cancels repeatedly, waits a bounded time each round, and gives up with a log line instead of
hanging. The tasks themselves also check a closing flag, so a swallowed cancel ends them at
their next turn anyway.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)


async def cancel_and_wait(task: asyncio.Task[Any], *, rounds: int = 3, wait_s: float = 1.0) -> bool:
    """Cancel `task` until it is done (at most `rounds` tries, `wait_s` each); True if it is."""
    for _ in range(rounds):
        if task.done():
            break
        task.cancel()
        await asyncio.wait({task}, timeout=wait_s)
    if not task.done():
        log.warning("%s did not stop when cancelled; leaving it", task.get_name())
        return False
    if not task.cancelled() and task.exception() is not None:
        log.error("%s had failed: %r", task.get_name(), task.exception())
    return True
