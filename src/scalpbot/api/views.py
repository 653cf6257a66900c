"""Plain JSON views of what the API returns and pushes: status, trades, fills, ticks, events.

Shared by the REST routers and the WebSocket push, so a status pushed over `/ws` is exactly what
`GET /api/status` returns. Money is text (exact Decimal), times are ISO 8601 with the offset.
Positions and orders come from the runtime's own views (`scalpbot.runtime.control`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from scalpbot.backtest.metrics import compute_metrics
from scalpbot.domain import Fill, Tick, TradeRecord, ns_to_datetime
from scalpbot.runtime.control import SessionControl
from scalpbot.runtime.manager import SessionManager
from scalpbot.runtime.session import TradingSession
from scalpbot.store import EventRecord, StrategyRecord
from scalpbot.store.repositories.users import ApiTokenRecord

PAISA = Decimal("0.01")


def money(value: Decimal) -> str:
    return str(value.quantize(PAISA))


def iso(ts_ns: int) -> str | None:
    return ns_to_datetime(ts_ns).isoformat() if ts_ns else None


def control_of(manager: SessionManager) -> SessionControl | None:
    """A control surface to read from: the running session's, else the last session's."""
    if manager.control is not None:
        return manager.control
    session = manager.session
    return None if session is None else SessionControl(session)


def status_document(manager: SessionManager) -> dict[str, Any]:
    """`GET /api/status` and the pushed "status" message."""
    document = manager.describe()
    control = manager.control
    if control is None:
        document["state"] = "stopped"
        document["session"] = None
    else:
        session = control.status()
        document["state"] = session["state"]
        document["session"] = session
    return document


def trade_view(trade: TradeRecord) -> dict[str, Any]:
    return {
        "instrument": trade.instrument_key,
        "side": trade.side,
        "quantity": trade.quantity,
        "entry_time": iso(trade.entry_ts),
        "entry_price": str(trade.entry_price),
        "exit_time": iso(trade.exit_ts),
        "exit_price": str(trade.exit_price),
        "pnl": money(trade.pnl),
        "charges": money(trade.charges),
        "net_pnl": money(trade.net_pnl),
    }


def fill_view(fill: Fill) -> dict[str, Any]:
    return {
        "fill_id": fill.fill_id,
        "client_order_id": fill.client_order_id,
        "broker_order_id": fill.broker_order_id,
        "instrument": fill.instrument.key,
        "side": fill.side.value,
        "quantity": fill.quantity,
        "price": str(fill.price),
        "time": iso(fill.ts),
        "product": fill.product.value,
        "charges": money(fill.charges),
    }


def tick_view(tick: Tick) -> dict[str, Any]:
    return {
        "instrument": tick.instrument_key,
        "time": iso(tick.ts),
        "last_price": tick.last_price,
        "volume": tick.volume,
        "bid": tick.bid,
        "ask": tick.ask,
    }


def event_view(event: EventRecord) -> dict[str, Any]:
    return {
        "id": event.id,
        "time": iso(event.ts),
        "kind": event.kind,
        "message": event.message,
        "data": event.data,
        "session_id": event.session_id,
        "logged_at": event.created_at.isoformat(),
    }


def session_stats(session: TradingSession) -> dict[str, Any]:
    """Metrics of a session so far (the backtest's metrics over its equity curve) and P&L."""
    portfolio = session.engine.portfolio
    recorder = session.recorder
    metrics = compute_metrics(
        np.asarray(recorder.ts, dtype=np.int64),
        np.asarray(recorder.equity, dtype=np.float64),
        np.asarray(recorder.in_market, dtype=np.bool_),
        list(portfolio.trades),
        session.spec.engine_settings.initial_cash,
        portfolio.total_charges,
    )
    return {
        "session_id": session.session_id,
        "bars": len(recorder),
        "metrics": metrics,
        "pnl": SessionControl(session).pnl(),
    }


def strategy_view(record: StrategyRecord, running: bool) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "class_spec": record.class_spec,
        "params": record.params,
        "symbols": record.symbols,
        "timeframe": record.timeframe,
        "status": record.status,
        "running": running,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def token_view(record: ApiTokenRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "username": record.username,
        "created_at": record.created_at,
        "last_used_at": record.last_used_at,
        "revoked": record.revoked,
        "revoked_at": record.revoked_at,
    }
