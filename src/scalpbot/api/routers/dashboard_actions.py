"""What the dashboard needs beyond the status/control routers: close one position, cancel one
order, today's P&L curve for the intraday chart, and a test message on the alert channels.

Closing and cancelling act on the running session's engine exactly as a strategy would (the
position's own strategy context sends the market exit, so the risk manager and the journal see
it like any other order); each action is written to the event log, so the log tail shows who
did what. The curve is the session's recorded equity since the last IST midnight, minus the
equity the day started with: the same "today" figure that GET /api/pnl gives, over time.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Path

from scalpbot.alerts import AlertService
from scalpbot.api.deps import Context, Control
from scalpbot.config import load_settings
from scalpbot.engine.events import RiskRejectedEvent
from scalpbot.runtime.control import order_view, position_view
from scalpbot.runtime.manager import SessionConflict
from scalpbot.runtime.session import TradingSession
from scalpbot.store import RecordNotFound

router = APIRouter(tags=["dashboard actions"])

IST_SHIFT_S = 19_800
DAY_S = 86_400
#: At most this many points in the intraday curve (one per second of session time at most).
MAX_POINTS = 2_000
#: How long the alert test waits for each channel's answer.
ALERT_TEST_TIMEOUT_S = 20.0

Instrument = Annotated[
    str, Path(min_length=3, max_length=64, pattern=r"^[A-Z]+:\S+$", examples=["NSE:INFY"])
]
OrderId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "No session runs, or the action does not fit (the reason is given)"}
}


def _log(session: TradingSession, context: Context, kind: str, message: str) -> None:
    ts = session.clock.ts or time.time_ns()
    context.store.events.add(kind, message, None, session.session_id, ts)


@router.post(
    "/api/positions/{instrument}/close",
    summary="Close one open position at market (its working orders are withdrawn first)",
    responses={**CONFLICT, 404: {"description": "No open position in that instrument"}},
)
async def close_position(
    instrument: Instrument, control: Control, context: Context
) -> dict[str, Any]:
    session = control.session
    engine = session.engine
    held = engine.portfolio.position_quantity(instrument)
    if held == 0:
        open_keys = [p["instrument"] for p in control.positions()]
        raise RecordNotFound(
            f"no open position in {instrument}; open positions: {', '.join(open_keys) or 'none'}"
        )
    owner = next((c for c in engine.contexts.values() if c.instrument.key == instrument), None)
    if owner is None:
        raise SessionConflict(
            f"no strategy of session {session.session_id} trades {instrument}, so there is no "
            "way to send its exit from here; use the emergency stop to flatten everything"
        )
    refusals: list[RiskRejectedEvent] = []
    unsubscribe = engine.bus.subscribe(RiskRejectedEvent, refusals.append)
    try:
        order = owner.close()
    finally:
        unsubscribe()
    if order is None:
        reason = refusals[-1].message if refusals else "the exit order was not sent"
        raise SessionConflict(f"closing {instrument} was refused: {reason}")
    _log(
        session,
        context,
        "position_close",
        f"close of {instrument} ({held:+d}) requested from the dashboard: order "
        f"{order.client_order_id}",
    )
    position = engine.portfolio.position(instrument)
    return {
        "instrument": instrument,
        "order": order_view(order),
        "position": None if position is None else position_view(position),
    }


@router.post(
    "/api/orders/{client_order_id}/cancel",
    summary="Cancel one working order",
    responses={**CONFLICT, 404: {"description": "No such order in this session"}},
)
async def cancel_order(
    client_order_id: OrderId, control: Control, context: Context
) -> dict[str, Any]:
    session = control.session
    orders = session.engine.orders
    order = orders.get(client_order_id)
    if order is None:
        raise RecordNotFound(
            f"no order {client_order_id!r} in session {session.session_id}; "
            "GET /api/orders lists the working ones"
        )
    if not order.is_working:
        raise SessionConflict(
            f"order {client_order_id} is {order.status.value}: only a working order can be "
            "cancelled"
        )
    orders.cancel(order)
    _log(
        session,
        context,
        "order_cancel",
        f"cancel of order {client_order_id} ({order.instrument.key}) requested from the dashboard",
    )
    return order_view(order)


@router.get("/api/pnl/intraday", summary="Today's net P&L over session time, for a chart")
async def pnl_intraday(context: Context) -> dict[str, Any]:
    session = context.manager.session
    if session is None:
        return {"session_id": None, "running": False, "points": []}
    recorder = session.recorder
    running = context.manager.control is not None
    if not len(recorder):
        return {"session_id": session.session_id, "running": running, "points": []}
    seconds = np.asarray(recorder.ts, dtype=np.int64) // 1_000_000_000 + IST_SHIFT_S
    equity = np.asarray(recorder.equity, dtype=np.float64)
    today = seconds >= (seconds[-1] // DAY_S) * DAY_S
    seconds, equity = seconds[today], equity[today]
    # Several instruments' bars share a time: keep the last equity recorded at each second.
    last_of_second = np.append(seconds[1:] != seconds[:-1], True)
    seconds, equity = seconds[last_of_second], equity[last_of_second]
    if seconds.size > MAX_POINTS:
        keep = np.unique(np.append(np.linspace(0, seconds.size - 1, MAX_POINTS, dtype=int), -1))
        seconds, equity = seconds[keep], equity[keep]
    start = float(session.engine.portfolio.day_start_equity)
    points = [
        {"time": int(t), "value": round(float(e) - start, 2)}
        for t, e in zip(seconds.tolist(), equity.tolist(), strict=True)
    ]
    return {"session_id": session.session_id, "running": running, "points": points}


@router.post(
    "/api/alerts/test",
    summary="Send a test message on every enabled alert channel; each channel's result",
    responses={409: {"description": "No alert channel is enabled"}},
)
async def alerts_test(context: Context) -> dict[str, Any]:
    settings = load_settings(context.home).alerts
    if not settings.enabled_channels():
        raise SessionConflict(
            "no alert channel is enabled: enable Telegram or e-mail in Settings → Alerts (and "
            "save) before sending a test"
        )
    service = AlertService(settings)
    try:
        results = await service.send_test(timeout_s=ALERT_TEST_TIMEOUT_S)
    finally:
        await service.stop(timeout_s=1.0)
    ok = all(result == "sent" for result in results.values())
    context.store.events.add(
        "alerts_test",
        "alert test: " + ", ".join(f"{name} {result}" for name, result in results.items()),
        None,
        None,
        time.time_ns(),
    )
    return {"ok": ok, "results": results}
