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


_COST_PLACES = Decimal("0.0001")


@dataclass(slots=True)
class Position:
    """Signed net quantity (+long, -short) with the cost of the open quantity.

    The cost basis, not the average price, is the state: the part of it a partial close
    releases is rounded to 1/100 paisa, and whatever is released is exactly what realised P&L
    is charged, so realised + unrealised always equals the cash flows plus the value held.
    """

    instrument: Instrument
    product: Product = Product.MIS
    quantity: int = 0
    cost_basis: Decimal = ZERO  # what the open quantity cost, always >= 0
    realised_pnl: Decimal = ZERO
    charges: Decimal = ZERO
    last_price: Decimal | None = None
    opened_ts: int = 0

    @property
    def average_price(self) -> Decimal:
        if self.quantity == 0:
            return ZERO
        return self.cost_basis / abs(self.quantity)

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
        direction = 1 if self.quantity > 0 else -1
        return (self.last_price * abs(self.quantity) - self.cost_basis) * direction

    @property
    def net_pnl(self) -> Decimal:
        return self.realised_pnl + self.unrealised_pnl - self.charges

    @property
    def exposure(self) -> Decimal:
        """Absolute market value at the last price (or at cost before any price is known)."""
        if self.last_price is None:
            return self.cost_basis
        return abs(self.last_price * self.quantity)

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
            if self.quantity == 0:
                self.opened_ts = ts
            self.cost_basis += price * quantity
            self.quantity += signed
        else:
            held = abs(self.quantity)
            closing = min(quantity, held)
            direction = 1 if self.quantity > 0 else -1
            if closing == held:
                released = self.cost_basis
            else:
                released = (self.cost_basis * closing / held).quantize(_COST_PLACES)
            realised = (price * closing - released) * direction
            self.cost_basis -= released
            self.quantity += signed
            if self.quantity != 0 and (self.quantity > 0) != (direction > 0):
                self.cost_basis = price * abs(self.quantity)  # reversed: the rest opened here
                self.opened_ts = ts
        self.realised_pnl += realised
        if self.last_price is None:
            self.last_price = price
        return realised
