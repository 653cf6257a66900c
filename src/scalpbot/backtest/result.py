"""What a backtest produces: closed trades, the equity curve, metrics; JSON-ready.

The JSON schema (see `to_json_dict`) is shared with paper sessions run over replayed data, so the
two can be compared trade for trade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from scalpbot.data.series import BarSeries
from scalpbot.domain import ns_to_datetime
from scalpbot.domain.trade import TradeRecord

__all__ = ["BacktestResult", "OpenPosition", "TradeRecord"]


@dataclass(frozen=True, slots=True)
class OpenPosition:
    entry_ts: int
    entry_price: Decimal
    quantity: int
    side: str

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "entry_time": ns_to_datetime(self.entry_ts).isoformat(),
            "entry_price": float(self.entry_price),
            "quantity": self.quantity,
            "side": self.side,
        }


@dataclass(slots=True)
class BacktestResult:
    """Everything a report or a comparison needs from one run.

    `equity` holds the mark-to-market equity after each bar (aligned with `bars.ts`);
    `in_market` is 1 for bars that ended with an open position (for exposure).
    """

    strategy: str
    params: dict[str, Any]
    instrument_key: str
    bars: BarSeries
    trades: list[TradeRecord]
    open_position: OpenPosition | None
    equity: npt.NDArray[np.float64]
    in_market: npt.NDArray[np.bool_]
    initial_cash: Decimal
    final_equity: Decimal
    total_charges: Decimal
    metrics: dict[str, float | int | None] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "params": self.params,
            "instrument": self.instrument_key,
            "bars": len(self.bars),
            "trades": [t.to_json_dict() for t in self.trades],
            "open_position": (
                self.open_position.to_json_dict() if self.open_position is not None else None
            ),
            "final_equity": float(self.final_equity),
            "metrics": self.metrics,
        }
