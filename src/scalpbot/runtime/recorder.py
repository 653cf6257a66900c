"""What a session reports at the end: the same JSON schema as `scalpbot backtest`, plus orders.

The equity curve is recorded after each bar the engine processes, exactly as the backtest
runner records it, so a paper session replaying a file computes the same metrics as a backtest
of that file.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from scalpbot.backtest.metrics import compute_metrics
from scalpbot.domain import Order, ns_to_datetime
from scalpbot.engine.engine import Engine


class EquityRecorder:
    """Equity and in-market flag after every processed bar: one point per bar time. A session
    on many instruments closes a bar of each at the same minute; the curve keeps the state
    after the last of them, so it grows with time, not with instruments (500 instruments
    would otherwise add 500 points a minute, and duplicate times skew the metrics)."""

    def __init__(self) -> None:
        self.ts: list[int] = []
        self.equity: list[float] = []
        self.in_market: list[bool] = []

    def record(self, ts: int, equity: float, in_market: bool) -> None:
        if self.ts and self.ts[-1] == ts:
            self.equity[-1] = equity
            self.in_market[-1] = in_market
            return
        self.ts.append(ts)
        self.equity.append(equity)
        self.in_market.append(in_market)

    def __len__(self) -> int:
        return len(self.ts)


def order_summary(order: Order) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "broker_order_id": order.broker_order_id,
        "status": order.status.value,
        "instrument": order.instrument.key,
        "side": order.side.value,
        "quantity": order.quantity,
        "order_type": order.order_type.value,
        "role": order.role,
        "filled_quantity": order.filled_quantity,
        "average_price": float(order.average_price),
    }


def session_report(
    engine: Engine,
    recorder: EquityRecorder,
    *,
    strategies: list[dict[str, Any]],
    initial_cash: Decimal,
    orders: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON document of a session: backtest's schema plus `orders` (the engine's, unless
    given as `order_summary` rows: a long session reads them back from the store) and
    `strategies`."""
    portfolio = engine.portfolio
    trades = list(portfolio.trades)
    metrics = compute_metrics(
        np.asarray(recorder.ts, dtype=np.int64),
        np.asarray(recorder.equity, dtype=np.float64),
        np.asarray(recorder.in_market, dtype=np.bool_),
        trades,
        initial_cash,
        portfolio.total_charges,
    )
    open_positions = []
    for position in portfolio.positions():
        if position.is_flat:
            continue
        entry = portfolio.open_trade_entry(position.instrument.key)
        open_positions.append(
            {
                "instrument": position.instrument.key,
                "entry_time": None if entry is None else ns_to_datetime(entry[0]).isoformat(),
                "entry_price": None if entry is None else float(entry[1]),
                "quantity": abs(position.quantity),
                "side": "BUY" if position.quantity > 0 else "SELL",
            }
        )
    first = strategies[0] if strategies else {}
    return {
        "strategy": first.get("name"),
        "params": first.get("params", {}),
        "strategies": strategies,
        "bars": len(recorder),
        "trades": [t.to_json_dict() for t in trades],
        "open_position": (
            {k: v for k, v in open_positions[0].items() if k != "instrument"}
            if len(open_positions) == 1
            else (open_positions or None)
        ),
        "final_equity": float(portfolio.equity().quantize(Decimal("0.01"))),
        "metrics": metrics,
        "orders": (
            [order_summary(o) for o in engine.orders.orders.values()] if orders is None else orders
        ),
    }
