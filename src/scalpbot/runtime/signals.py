"""SIGINT and SIGTERM ask a running session to stop cleanly (cancel, settle, checkpoint)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scalpbot.runtime.session import TradingSession


def install_signal_handlers(session: TradingSession) -> Callable[[], None]:
    """SIGINT/SIGTERM ask the session to stop cleanly; returns a function that removes them."""
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, session.request_stop, f"signal {sig.name}")

    def remove() -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)

    return remove
