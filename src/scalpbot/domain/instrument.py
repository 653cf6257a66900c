"""What can be traded: one exchange-listed contract with its tick and lot size.

Tick size and lot size live on the instrument (not in a global table) because they differ per
contract and change over time; the broker's instrument master is the source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from scalpbot.domain.enums import Exchange, InstrumentType


@dataclass(frozen=True, slots=True)
class Instrument:
    """An exchange-listed contract.

    `symbol` is scalpbot's unified symbol (e.g. "RELIANCE", "NIFTY24DECFUT"); `key` joins it with
    the exchange ("NSE:RELIANCE") and is what the engine indexes positions and orders by.
    """

    exchange: Exchange
    symbol: str
    instrument_type: InstrumentType = InstrumentType.EQ
    tick_size: Decimal = Decimal("0.05")
    lot_size: int = 1
    segment: str = ""
    expiry: date | None = None
    strike: Decimal | None = None
    name: str = ""
    key: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.exchange.value}:{self.symbol}")
        if not self.symbol:
            raise ValueError("instrument symbol must not be empty")
        if self.tick_size <= 0:
            raise ValueError(f"{self.symbol}: tick size must be positive, got {self.tick_size}")
        if self.lot_size < 1:
            raise ValueError(f"{self.symbol}: lot size must be at least 1, got {self.lot_size}")

    @property
    def is_derivative(self) -> bool:
        return self.instrument_type in (InstrumentType.FUT, InstrumentType.CE, InstrumentType.PE)

    @property
    def is_option(self) -> bool:
        return self.instrument_type in (InstrumentType.CE, InstrumentType.PE)

    def __str__(self) -> str:
        return self.key
