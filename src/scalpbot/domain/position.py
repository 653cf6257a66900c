"""A net position in one instrument and the arithmetic of applying fills to it.

This is the one place that decides averaging, partial closes and reversals, so backtest, paper
and live agree on P&L to the paisa. Realised P&L is gross (before charges); charges are kept
beside it so a net figure is always `realised_pnl - charges`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scalpbot.domain.enums import Product, Side
from scalpbot.domain.instrument import Instrument

ZERO = Decimal(0)


@dataclass(slots=True)
class Position:
    """Signed net quantity (+long, -short) with its average entry price."""

    instrument: Instrument
    product: Product = Product.MIS
    quantity: int = 0
    average_price: Decimal = ZERO
    realised_pnl: Decimal = ZERO
    charges: Decimal = ZERO
    last_price: Decimal | None = None
    opened_ts: int = 0

    @property
    def is_flat(self) -> bool:
        return self.quantity == 0

    @property
    def side(self) -> Side | None:
        if self.quantity == 0:
            return None
        return Side.BUY if self.quantity > 0 else Side.SELL

    @property
    def unrealised_pnl(self) -> Decimal:
        if self.quantity == 0 or self.last_price is None:
            return ZERO
        return (self.last_price - self.average_price) * self.quantity

    @property
    def net_pnl(self) -> Decimal:
        return self.realised_pnl + self.unrealised_pnl - self.charges

    @property
    def exposure(self) -> Decimal:
        """Absolute market value at the last price (or at cost before any price is known)."""
        price = self.last_price if self.last_price is not None else self.average_price
        return abs(price * self.quantity)

    def apply_fill(self, side: Side, quantity: int, price: Decimal, ts: int) -> Decimal:
        """Apply one fill; returns the gross P&L it realised (zero when it only adds).

        A fill larger than the open quantity on the other side closes it and opens the rest in
        the new direction at the fill price (a reversal).
        """
        if quantity <= 0:
            raise ValueError(f"fill quantity must be positive, got {quantity}")
        signed = quantity * side.sign
        realised = ZERO
        if self.quantity == 0 or (self.quantity > 0) == (signed > 0):
            total_cost = self.average_price * abs(self.quantity) + price * quantity
            if self.quantity == 0:
                self.opened_ts = ts
            self.quantity += signed
            self.average_price = total_cost / abs(self.quantity)
        else:
            closing = min(quantity, abs(self.quantity))
            direction = 1 if self.quantity > 0 else -1
            realised = (price - self.average_price) * closing * direction
            self.quantity += signed
            if self.quantity == 0:
                self.average_price = ZERO
            elif (self.quantity > 0) != (direction > 0):
                self.average_price = price  # reversed: the remainder opened at this fill
                self.opened_ts = ts
        self.realised_pnl += realised
        self.last_price = price if self.last_price is None else self.last_price
        return realised
