"""The closed vocabularies of trading: exchanges, sides, order kinds, products, validities.

They are `str` enums so that they serialise as the plain strings brokers and users already use
("NSE", "BUY", "SL-M", "MIS"), and `parse` accepts either an enum member or such a string.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


def parse_enum(kind: type[E], value: E | str) -> E:
    """Return `value` as a member of `kind`, accepting its value or name in any case.

    Raises `ValueError` naming the allowed values, so a bad config or API field reads well.
    """
    if isinstance(value, kind):
        return value
    text = str(value).strip()
    for member in kind:
        if text.upper() in (member.value.upper(), member.name.upper()):
            return member
    allowed = ", ".join(m.value for m in kind)
    raise ValueError(f"{text!r} is not a valid {kind.__name__}; allowed: {allowed}")


class Exchange(StrEnum):
    NSE = "NSE"
    BSE = "BSE"
    NFO = "NFO"
    BFO = "BFO"
    MCX = "MCX"
    CDS = "CDS"


class InstrumentType(StrEnum):
    EQ = "EQ"
    FUT = "FUT"
    CE = "CE"
    PE = "PE"
    INDEX = "INDEX"


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: the direction a fill moves a position."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    SL = "SL"
    SL_M = "SL-M"


class Product(StrEnum):
    MIS = "MIS"
    CNC = "CNC"
    NRML = "NRML"


class Validity(StrEnum):
    DAY = "DAY"
    IOC = "IOC"
    TTL = "TTL"


class Mode(StrEnum):
    BACKTEST = "backtest"
    PAPER = "paper"
    LIVE = "live"
