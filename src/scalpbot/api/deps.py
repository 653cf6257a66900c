"""What route handlers get injected: the server's shared parts and the caller.

`ApiContext` is built once by the app's lifespan (see `scalpbot.api.app`) and kept on
`app.state.api`; handlers reach it with `Depends(api_context)`. The caller (`Principal`) was
already established by `AuthMiddleware` before any route runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from scalpbot.api.auth import Authenticator, Principal
from scalpbot.api.jobs import BacktestJobs
from scalpbot.api.push import PushHub
from scalpbot.api.sweeps import SweepIndex
from scalpbot.runtime.control import SessionControl
from scalpbot.runtime.manager import SessionConflict, SessionManager
from scalpbot.store import Store


@dataclass(slots=True)
class ApiContext:
    home: Path
    store: Store
    manager: SessionManager
    auth: Authenticator
    hub: PushHub
    jobs: BacktestJobs
    sweeps: SweepIndex


def api_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.api
    return context


def current_principal(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


def running_control(context: Annotated[ApiContext, Depends(api_context)]) -> SessionControl:
    """The running session's control surface; 409 when no session runs."""
    control = context.manager.control
    if control is None:
        raise SessionConflict(
            "no session is running; start one with POST /api/start "
            f"(the manager is {context.manager.state})"
        )
    return control


Context = Annotated[ApiContext, Depends(api_context)]
Caller = Annotated[Principal, Depends(current_principal)]
Control = Annotated[SessionControl, Depends(running_control)]
