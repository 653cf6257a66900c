"""Closed round trips: the unit traders count wins, losses and charges in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scalpbot.domain.market_data import ns_to_datetime


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One round trip: from flat (or a reversal) to flat (or the next reversal).

    `pnl` is gross, `charges` the costs of its entry and exit fills, `net_pnl = pnl - charges`.
    Prices are quantity-weighted averages of the entry and exit fills. Times are epoch
    nanoseconds; `side` is "BUY" for a long trade, "SELL" for a short one.
    """

    instrument_key: str
    entry_ts: int
    entry_price: Decimal
    exit_ts: int
    exit_price: Decimal
    quantity: int
    side: str
    pnl: Decimal
    charges: Decimal

    @property
    def net_pnl(self) -> Decimal:
        return self.pnl - self.charges

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument_key,
            "entry_time": ns_to_datetime(self.entry_ts).isoformat(),
            "entry_price": float(self.entry_price),
            "exit_time": ns_to_datetime(self.exit_ts).isoformat(),
            "exit_price": float(self.exit_price),
            "quantity": self.quantity,
            "side": self.side,
            "pnl": float(self.pnl),
            "charges": float(self.charges),
            "net_pnl": float(self.net_pnl),
        }
