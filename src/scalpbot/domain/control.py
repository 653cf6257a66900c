"""The control surface of a running session: one API, two faces (REST and Telegram).

The runtime implements it; the web API and the Telegram commands call it. It lives in the
domain so that `alerts/` and `api/` depend on this contract, not on the runtime.
Every method runs on the session's event loop thread and returns plain JSON-able data.
"""

from __future__ import annotations

from typing import Any, Protocol


class ControlSurface(Protocol):
    def status(self) -> dict[str, Any]:
        """Mode, broker, runner state (running/paused/stopped/halted), clock, equity, P&L."""
        ...

    def positions(self) -> list[dict[str, Any]]: ...

    def orders(self, *, working_only: bool = True) -> list[dict[str, Any]]: ...

    def pnl(self) -> dict[str, Any]:
        """Today's realised, unrealised, charges and net P&L, and the session totals."""
        ...

    def pause(self, reason: str = "") -> None:
        """No new entries; exits keep working. Raises ControlError when not running."""
        ...

    def resume(self) -> None: ...

    def stop(self, reason: str = "") -> None: ...

    def emergency_stop(self, reason: str = "") -> None:
        """Cancel every order, flatten every position, halt."""
        ...
