"""Status and control of the trading session: start, stop, pause, resume, kill switch, and the
books (positions, orders, trades, P&L, statistics, the event log).

Reads come from the running session, or, once it has ended, from the last session this server
ran (its books stay in memory until the next start); `running` in each answer says which.
Trades are the session's closed round trips; `GET /api/trades?session_id=N` for another
(earlier) session gives that session's stored fills instead, since round trips are not stored.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Query

from scalpbot.api.deps import Context, Control
from scalpbot.api.jobs import resolve_data
from scalpbot.api.schemas import ReasonRequest, StartRequest
from scalpbot.api.views import (
    control_of,
    event_view,
    fill_view,
    session_stats,
    status_document,
    trade_view,
)
from scalpbot.domain import ConfigError
from scalpbot.runtime.factory import RunOptions

router = APIRouter(tags=["status and control"])

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Not allowed in the session's current state (the reason is given)"}
}
PNL_KEYS = ("equity", "today", "realised", "unrealised", "charges", "net", "trades")


@router.get("/api/status", summary="Session state, equity, positions count, risk status")
async def status(context: Context) -> dict[str, Any]:
    return status_document(context.manager)


def _options(context: Context, body: StartRequest) -> RunOptions:
    defaults = context.manager.defaults
    if body.params and not body.strategy:
        raise ConfigError("params were given without a strategy; name the strategy too")
    data = body.data
    if body.feed == "replay":
        if not data:
            raise ConfigError("feed 'replay' needs data: a bars file to replay")
        data = str(resolve_data(context.home, data))
    return dataclasses.replace(
        defaults,
        strategy=body.strategy,
        params=dict(body.params),
        feed=body.feed,
        data=data,
        speed=body.speed if body.speed is not None else defaults.speed,
        seed=body.seed if body.seed is not None else defaults.seed,
    )


@router.post(
    "/api/start",
    summary="Start a paper session (the settings' strategies unless one is named)",
    responses={**CONFLICT, 422: {"description": "Bad request, settings or strategy"}},
)
async def start(context: Context, body: StartRequest | None = None) -> dict[str, Any]:
    request = body or StartRequest()
    await context.manager.start(
        _options(context, request),
        resume=request.resume,
        tag={"source": "api/start", "strategy": request.strategy},
    )
    return status_document(context.manager)


@router.post("/api/stop", summary="Stop the session cleanly", responses=CONFLICT)
async def stop(context: Context, body: ReasonRequest | None = None) -> dict[str, Any]:
    reason = (body.reason if body else "") or "stopped from the API"
    ended = await context.manager.stop(reason, timeout=15.0)
    return {**status_document(context.manager), "stopped": ended}


@router.post("/api/pause", summary="No new entries; exits keep working", responses=CONFLICT)
async def pause(
    control: Control, context: Context, body: ReasonRequest | None = None
) -> dict[str, Any]:
    control.pause((body.reason if body else "") or "paused from the API")
    return status_document(context.manager)


@router.post("/api/resume", summary="Resume a paused or halted session", responses=CONFLICT)
async def resume(control: Control, context: Context) -> dict[str, Any]:
    control.resume()
    return status_document(context.manager)


@router.post(
    "/api/emergency-stop",
    summary="Kill switch: cancel every order, flatten every position, halt",
    responses=CONFLICT,
)
async def emergency_stop(
    control: Control, context: Context, body: ReasonRequest | None = None
) -> dict[str, Any]:
    control.emergency_stop((body.reason if body else "") or "emergency stop from the API")
    return status_document(context.manager)


def _which(context: Context) -> dict[str, Any]:
    session = context.manager.session
    return {
        "session_id": None if session is None else session.session_id,
        "running": context.manager.control is not None,
    }


@router.get("/api/positions", summary="Open positions")
async def positions(context: Context) -> dict[str, Any]:
    control = control_of(context.manager)
    return {**_which(context), "positions": [] if control is None else control.positions()}


@router.get("/api/orders", summary="Working orders (all orders with ?all=true)")
async def orders(
    context: Context, all_orders: Annotated[bool, Query(alias="all")] = False
) -> dict[str, Any]:
    control = control_of(context.manager)
    found = [] if control is None else control.orders(working_only=not all_orders)
    return {**_which(context), "orders": found}


@router.get("/api/trades", summary="Closed trades and fills")
async def trades(
    context: Context,
    session_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> dict[str, Any]:
    session = context.manager.session
    if session_id is None or (session is not None and session_id == session.session_id):
        if session is None:
            return {**_which(context), "source": "none", "trades": [], "fills": []}
        fills = context.store.fills.for_session(session.session_id)[-limit:]
        return {
            **_which(context),
            "source": "session",
            "trades": [trade_view(t) for t in session.engine.portfolio.trades[-limit:]],
            "fills": [fill_view(f) for f in fills],
        }
    fills = context.store.fills.for_session(session_id)[-limit:]
    return {
        "session_id": session_id,
        "running": False,
        "source": "store",
        "trades": [],
        "fills": [fill_view(f) for f in fills],
    }


@router.get("/api/pnl", summary="Equity and P&L (today, realised, unrealised, charges, net)")
async def pnl(context: Context) -> dict[str, Any]:
    control = control_of(context.manager)
    figures = dict.fromkeys(PNL_KEYS) if control is None else control.pnl()
    return {**_which(context), **figures}


@router.get("/api/stats", summary="Performance metrics of the session so far")
async def stats(context: Context) -> dict[str, Any]:
    session = context.manager.session
    if session is None:
        return {**_which(context), "bars": 0, "metrics": None, "pnl": None}
    return {**_which(context), **session_stats(session)}


@router.get("/api/logs", summary="The event log, newest first")
async def logs(
    context: Context,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    kind: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> dict[str, Any]:
    events = context.store.events.recent(limit, kind)
    return {"events": [event_view(e) for e in events]}
