"""Executions: what actually happened to an order, the only source of P&L."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scalpbot.domain.enums import Product, Side
from scalpbot.domain.instrument import Instrument


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of (part of) an order at one price.

    `charges` is filled in by the portfolio from the charges model, so every mode pays the same
    published costs; a broker adapter leaves it at zero.
    """

    fill_id: str
    client_order_id: str
    instrument: Instrument
    side: Side
    quantity: int
    price: Decimal
    ts: int
    product: Product = Product.MIS
    broker_order_id: str | None = None
    charges: Decimal = Decimal(0)

    @property
    def value(self) -> Decimal:
        return self.price * self.quantity
