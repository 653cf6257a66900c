"""Turns the stream of fills into closed round-trip trades.

A trade opens when a position leaves flat and closes when it returns to flat; a fill that goes
through zero closes one trade and opens the next with the remainder. Charges of a reversing
fill are split by quantity, to the paisa, so the trades' charges add up to the fills' exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scalpbot.domain import Fill, TradeRecord

PAISA = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(slots=True)
class _OpenTrade:
    direction: int
    entry_ts: int
    entry_quantity: int = 0
    entry_value: Decimal = ZERO
    exit_quantity: int = 0
    exit_value: Decimal = ZERO
    exit_ts: int = 0
    pnl: Decimal = ZERO
    charges: Decimal = ZERO

    def add_entry(self, quantity: int, price: Decimal, charges: Decimal) -> None:
        self.entry_quantity += quantity
        self.entry_value += price * quantity
        self.charges += charges

    def add_exit(self, quantity: int, price: Decimal, ts: int, charges: Decimal) -> None:
        self.exit_quantity += quantity
        self.exit_value += price * quantity
        self.exit_ts = ts
        self.charges += charges


class TradeTracker:
    """Per-instrument round-trip bookkeeping fed by the portfolio after each fill."""

    def __init__(self) -> None:
        self._open: dict[str, _OpenTrade] = {}

    def open_trade(self, instrument_key: str) -> _OpenTrade | None:
        return self._open.get(instrument_key)

    def on_fill(self, fill: Fill, position_before: int, realised: Decimal) -> TradeRecord | None:
        """Account for `fill` given the signed position before it; returns a trade it closed."""
        key = fill.instrument.key
        sign = fill.side.sign
        current = self._open.get(key)
        if position_before == 0 or current is None:
            trade = _OpenTrade(direction=sign, entry_ts=fill.ts)
            trade.add_entry(fill.quantity, fill.price, fill.charges)
            self._open[key] = trade
            return None
        if (position_before > 0) == (sign > 0):
            current.add_entry(fill.quantity, fill.price, fill.charges)
            return None
        closing = min(fill.quantity, abs(position_before))
        remainder = fill.quantity - closing
        closing_charges = fill.charges
        if remainder:
            closing_charges = (fill.charges * closing / fill.quantity).quantize(PAISA)
        current.add_exit(closing, fill.price, fill.ts, closing_charges)
        current.pnl += realised
        if closing < abs(position_before):
            return None
        del self._open[key]
        if remainder:
            trade = _OpenTrade(direction=sign, entry_ts=fill.ts)
            trade.add_entry(remainder, fill.price, fill.charges - closing_charges)
            self._open[key] = trade
        return TradeRecord(
            instrument_key=key,
            entry_ts=current.entry_ts,
            entry_price=current.entry_value / current.entry_quantity,
            exit_ts=current.exit_ts,
            exit_price=current.exit_value / current.exit_quantity,
            quantity=current.entry_quantity,
            side="BUY" if current.direction > 0 else "SELL",
            pnl=current.pnl,
            charges=current.charges,
        )
