"""How a strategy says where its exits are: a distance from the entry price.

`points(5)` is ₹5 away, `pct(1.5)` is 1.5 % of the entry price, `atr(2)` is two ATRs (the
engine keeps a 14-bar ATR per instrument for this), and `price(1412.5)` is a fixed level.
A bare number means points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ExitKind = Literal["points", "pct", "atr", "price"]


@dataclass(frozen=True, slots=True)
class ExitOffset:
    kind: ExitKind
    value: float

    def __post_init__(self) -> None:
        if not self.value > 0:
            raise ValueError(f"exit {self.kind} must be positive, got {self.value}")

    def distance(self, entry_price: float, atr_value: float | None) -> float:
        """Distance from `entry_price` in rupees (for "price", the gap to that level)."""
        if self.kind == "points":
            return self.value
        if self.kind == "pct":
            return entry_price * self.value / 100.0
        if self.kind == "atr":
            if atr_value is None:
                raise ValueError("an ATR-based exit needs 14 bars of history first")
            return atr_value * self.value
        return abs(entry_price - self.value)


def points(value: float) -> ExitOffset:
    return ExitOffset("points", value)


def pct(value: float) -> ExitOffset:
    return ExitOffset("pct", value)


def atr(multiple: float) -> ExitOffset:
    return ExitOffset("atr", multiple)


def price(level: float) -> ExitOffset:
    return ExitOffset("price", level)


ExitLike = ExitOffset | float | int


def as_offset(value: ExitLike | None) -> ExitOffset | None:
    if value is None or isinstance(value, ExitOffset):
        return value
    return points(float(value))
