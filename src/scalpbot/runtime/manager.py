"""`SessionManager`: the one trading session a server process runs, started and stopped on demand.

`scalpbot run` builds a session, runs it and exits. A server (`scalpbot serve`) lives longer
than any session: the dashboard starts one, stops it, deploys another strategy. The manager
owns that current session as a task in the server's own asyncio loop, so the engine, the web
server and the WebSocket push share one thread and one loop (DESIGN.md): API handlers call the
session's control surface directly, without locks.

    manager = SessionManager(home, store, defaults=RunOptions(speed=60))
    await manager.start()                 # trading.strategies from the settings
    manager.control.pause("lunch")        # SessionControl while a session runs, else None
    report = await manager.stop()

At most one session runs at a time: starting while one runs raises `SessionConflict` (an API
answers 409). The settings are read afresh at every start, so a change saved in between
applies to the next session.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from scalpbot.alerts.service import AlertService
from scalpbot.config import Settings, load_settings
from scalpbot.config.alerts import AlertsSettings
from scalpbot.domain import ControlError
from scalpbot.runtime.alerts_wiring import session_alerts
from scalpbot.runtime.control import SessionControl
from scalpbot.runtime.factory import RunOptions
from scalpbot.runtime.live_factory import SessionParts, build_parts, open_session
from scalpbot.runtime.session import StatusSink, TradingSession
from scalpbot.store import Store

log = logging.getLogger(__name__)

IDLE, STARTING, RUNNING, STOPPING, FINISHED, FAILED = (
    "idle",
    "starting",
    "running",
    "stopping",
    "finished",
    "failed",
)


class SessionConflict(ControlError):
    """The action does not fit the manager's state (start while running, stop while idle)."""


class SessionListener(Protocol):
    """Told when a session starts and when it has ended (both on the loop's thread)."""

    def session_started(self, session: TradingSession) -> None: ...

    def session_ended(self, session: TradingSession) -> None: ...


class SessionManager:
    """Runs at most one `TradingSession` at a time in the running loop (see module docstring)."""

    def __init__(
        self,
        home: Path,
        store: Store,
        *,
        defaults: RunOptions | None = None,
        status: StatusSink | None = None,
        status_interval_s: float = 1.0,
    ) -> None:
        self.home = home
        self.store = store
        self.defaults = defaults or RunOptions()
        self.state = IDLE
        self.error: str | None = None
        self.session: TradingSession | None = None
        self.report: dict[str, Any] | None = None
        self.alerts: AlertService | None = None
        self._alert_settings = AlertsSettings()  # the running session's, for status and tests
        self.tag: dict[str, Any] = {}
        self._control: SessionControl | None = None
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[SessionListener] = []
        self._status = status
        self._status_interval = status_interval_s
        self._lock = asyncio.Lock()

    # -- what runs ----------------------------------------------------------------------------
    @property
    def control(self) -> SessionControl | None:
        """The control surface of the running session; None when none runs."""
        return self._control

    @property
    def running(self) -> bool:
        return self.state in (STARTING, RUNNING, STOPPING)

    def add_listener(self, listener: SessionListener) -> None:
        self._listeners.append(listener)
        if self.session is not None and self.state == RUNNING:
            listener.session_started(self.session)

    def describe(self) -> dict[str, Any]:
        """The manager's state for the status endpoint (JSON-able)."""
        last = self.report
        return {
            "manager": self.state,
            "error": self.error,
            "session_id": None if self.session is None else self.session.session_id,
            "started_with": dict(self.tag),
            "last_report": None
            if last is None
            else {
                "session_id": last.get("session_id"),
                "status": last.get("status"),
                "trades": len(last.get("trades", [])),
                "final_equity": last.get("final_equity"),
                "net_pnl": (last.get("metrics") or {}).get("net_pnl"),
            },
        }

    # -- start and stop -----------------------------------------------------------------------
    async def start(
        self,
        options: RunOptions | None = None,
        *,
        overrides: Mapping[str, Any] | None = None,
        resume: bool = False,
        tag: Mapping[str, Any] | None = None,
    ) -> TradingSession:
        """Build a session as `scalpbot run` does (settings of the home, `overrides` on top,
        the simulated feed unless `options` say otherwise) and start it as a task.

        Raises `SessionConflict` if one runs, `ConfigError`/`DataError` for bad settings or
        data (then nothing was started)."""
        async with self._lock:
            if self.running:
                assert self.session is not None
                raise SessionConflict(
                    f"session {self.session.session_id} is {self.state}; stop it first"
                )
            chosen = options or self.defaults
            previous, self.state = self.state, STARTING
            try:
                # Loading settings and replay files may take a while: not on the loop.
                parts = await asyncio.to_thread(self._build, chosen, overrides)
                session = open_session(
                    parts,
                    self.store,
                    resume=resume,
                    status=self._status,
                    status_interval_s=self._status_interval,
                )
            except BaseException:
                self.state = previous  # nothing started: what ran before is still the news
                raise
            self.session = session
            self.error = None
            self.report = None
            self.tag = dict(tag or {})
            self._control = SessionControl(session)
            self.state = RUNNING
            self._note(session, "session_started", self._start_text(session, resume))
            for listener in self._listeners:
                listener.session_started(session)
            self._task = asyncio.create_task(self._run(session), name="trading-session")
            await asyncio.sleep(0)  # let the task start the engine before callers look at it
            return session

    def _build(self, options: RunOptions, overrides: Mapping[str, Any] | None) -> SessionParts:
        settings = load_settings(self.home, overrides=overrides)
        self._alert_settings = settings.alerts
        return build_parts(settings, dataclasses.replace(options), self.home)

    @staticmethod
    def _start_text(session: TradingSession, resume: bool) -> str:
        names = ", ".join(slot.strategy_id for slot in session.spec.slots)
        how = f"resumed at event {session.resumed_from}" if session.resumed_from else "started"
        if resume and not session.resumed_from:
            how = "started (nothing to resume)"
        return (
            f"session {session.session_id} {how}: {session.spec.mode} on "
            f"{session.spec.feed_kind} data, strategies {names}"
        )

    async def _run(self, session: TradingSession) -> None:
        try:
            async with session_alerts(session, self._alert_settings) as service:
                self.alerts = service
                self.report = await session.run()
            self.state = FINISHED
            self._note(
                session,
                "session_stopped",
                f"session {session.session_id} {self.report['status']}",
            )
        except asyncio.CancelledError:
            self.state = FAILED
            self.error = "the session task was cancelled"
            raise
        except Exception as exc:  # an engine fault or a broken feed ends the session
            self.state = FAILED
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("session %s failed: %s", session.session_id, self.error)
            self._note(session, "session_failed", f"session {session.session_id} failed: {exc}")
        finally:
            self._control = None
            for listener in self._listeners:
                listener.session_ended(session)

    def _note(self, session: TradingSession, kind: str, message: str) -> None:
        try:
            ts = session.clock.ts or time.time_ns()
            self.store.events.add(kind, message, None, session.session_id, ts)
        except Exception as exc:  # the log is not worth failing a start or stop over
            log.warning("could not log %s: %s", kind, exc)

    async def stop(self, reason: str = "stop requested", *, timeout: float = 30.0) -> bool:
        """Ask the session to stop and wait up to `timeout` seconds for it to wind down.

        Returns True once it has ended (the report is then in `report`), False if it is still
        stopping. Raises `SessionConflict` if no session runs."""
        control, task = self._control, self._task
        if control is None or task is None or task.done():
            raise SessionConflict("no session is running")
        self.state = STOPPING
        control.stop(reason)
        return await self.wait(timeout)

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current session to end; True if it has (or none runs)."""
        task = self._task
        if task is None or task.done():
            return True
        done, _ = await asyncio.wait({task}, timeout=timeout)
        return bool(done)

    async def shutdown(self, timeout: float = 30.0) -> None:
        """Stop the session (if any) for a server shutting down; cancel it if it hangs."""
        task = self._task
        if task is None or task.done():
            return
        if self._control is not None:
            self._control.stop("server shutting down")
        if not await self.wait(timeout):
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # -- settings changed while running -----------------------------------------------------------
    def apply_risk(self, settings: Settings) -> bool:
        """Hand the running session the risk limits of `settings`; False if none runs.

        The session keeps its own capital (it is what its books started from) and, when it
        replays a file, the hour-based rules stay off as `build_spec` set them."""
        session = self.session
        if self._control is None or session is None:
            return False
        limits = settings.risk.to_risk_settings(session.spec.risk.capital)
        if session.spec.feed_kind == "replay":
            limits = dataclasses.replace(
                limits, enforce_market_hours=False, enforce_square_off=False, price_band_pct=None
            )
        session.engine.risk.update_settings(limits)
        return True
