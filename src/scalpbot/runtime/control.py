"""The runtime's `ControlSurface`: what the dashboard and Telegram may see and do.

Both faces call these methods on the session's event loop, so they act on the engine directly
and synchronously; every result is plain JSON-able data (money as strings, exact).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from scalpbot.domain import Order, Position, ns_to_datetime
from scalpbot.runtime.session import TradingSession

PAISA = Decimal("0.01")


def _money(value: Decimal) -> str:
    return str(value.quantize(PAISA))


def position_view(position: Position) -> dict[str, Any]:
    return {
        "instrument": position.instrument.key,
        "product": position.product.value,
        "quantity": position.quantity,
        "average_price": _money(position.average_price),
        "last_price": None if position.last_price is None else str(position.last_price),
        "unrealised_pnl": _money(position.unrealised_pnl),
        "realised_pnl": _money(position.realised_pnl),
        "charges": _money(position.charges),
    }


def order_view(order: Order) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "broker_order_id": order.broker_order_id,
        "instrument": order.instrument.key,
        "side": order.side.value,
        "quantity": order.quantity,
        "filled_quantity": order.filled_quantity,
        "order_type": order.order_type.value,
        "price": None if order.price is None else str(order.price),
        "trigger_price": None if order.trigger_price is None else str(order.trigger_price),
        "status": order.status.value,
        "role": order.role,
        "strategy_id": order.strategy_id,
        "reason": order.reason,
    }


class SessionControl:
    """Implements `scalpbot.domain.ControlSurface` over one `TradingSession`."""

    def __init__(self, session: TradingSession) -> None:
        self.session = session

    def status(self) -> dict[str, Any]:
        session = self.session
        engine = session.engine
        ts = session.clock.ts
        return {
            "session_id": session.session_id,
            "mode": session.spec.mode,
            "broker": session.spec.broker,
            "feed": session.spec.feed_kind,
            "state": engine.runner.state,
            "reason": engine.runner.reason,
            "clock": ns_to_datetime(ts).isoformat() if ts else None,
            "equity": _money(engine.portfolio.equity()),
            "open_positions": engine.portfolio.open_position_count(),
            "working_orders": sum(1 for _ in engine.orders.working_orders()),
            "trades": len(engine.portfolio.trades),
            "strategies": [s.strategy_id for s in session.spec.slots],
            "risk": engine.risk.status(),
        }

    def positions(self) -> list[dict[str, Any]]:
        return [
            position_view(p) for p in self.session.engine.portfolio.positions() if not p.is_flat
        ]

    def orders(self, *, working_only: bool = True) -> list[dict[str, Any]]:
        orders = self.session.engine.orders
        source = orders.working_orders() if working_only else iter(orders.orders.values())
        return [order_view(o) for o in source]

    def pnl(self) -> dict[str, Any]:
        portfolio = self.session.engine.portfolio
        equity = portfolio.equity()
        return {
            "equity": _money(equity),
            "today": _money(equity - portfolio.day_start_equity),
            "realised": _money(portfolio.realised_pnl),
            "unrealised": _money(portfolio.unrealised_pnl()),
            "charges": _money(portfolio.total_charges),
            "net": _money(equity - portfolio.initial_cash),
            "trades": len(portfolio.trades),
        }

    def pause(self, reason: str = "") -> None:
        self.session.engine.pause(reason)

    def resume(self) -> None:
        self.session.engine.resume()

    def stop(self, reason: str = "") -> None:
        self.session.request_stop(reason or "stop requested")

    def emergency_stop(self, reason: str = "") -> None:
        self.session.engine.emergency_stop(reason or "emergency stop")
