"""Failpoints: kill this process at a named point in the order path, so the crash trials can
aim at the narrowest windows instead of hoping a random kill lands in them.

Set `SCALPBOT_FAILPOINT=<name>:<n>` to SIGKILL the process the n-th time it passes the point.
Never set in normal use; unset, a failpoint costs one integer comparison.

Points: `after_journal` — an order has been written to the store (its intent file) and not yet
handed to the broker (the restart must find it and close it as never sent, not send it twice);
`after_send` — the broker has the order and the store knows it only from its intent file, not
yet from the database (the restart must fold it in and find it at the broker by its tag).
"""

from __future__ import annotations

import os
import signal

ENV = "SCALPBOT_FAILPOINT"


class Failpoint:
    """One named point; `hit()` kills the process when its turn comes."""

    def __init__(self, name: str, setting: str | None = None) -> None:
        self.name = name
        self._left = _turn(name, os.environ.get(ENV) if setting is None else setting)

    def hit(self) -> None:
        if self._left <= 0:
            return
        self._left -= 1
        if self._left == 0:
            os.kill(os.getpid(), signal.SIGKILL)


def _turn(name: str, setting: str | None) -> int:
    """How many passes until the kill (0: not armed). A malformed setting arms nothing: a
    failpoint must never be what breaks a real session."""
    if not setting:
        return 0
    point, _, count = setting.partition(":")
    if point != name or not count.isdigit():
        return 0
    return int(count)
