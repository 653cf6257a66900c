"""The one place prices are put on an instrument's tick grid.

Exchanges reject prices off the tick grid, and P&L must be exact, so every price the engine
sends or books passes through `round_to_tick`, which works in `Decimal` to avoid float drift.
"""

from __future__ import annotations

import functools
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

RoundingMode = Literal["nearest", "down", "up"]
_ONE = Decimal(1)
_MODES = {"nearest": ROUND_HALF_UP, "down": ROUND_FLOOR, "up": ROUND_CEILING}


def to_decimal(price: Decimal | float | int | str) -> Decimal:
    """Exact decimal of a price; floats go through `repr` so 1400.05 stays 1400.05."""
    if isinstance(price, Decimal):
        return price
    if isinstance(price, float):
        return Decimal(repr(price))
    return Decimal(price)


def round_to_tick(
    price: Decimal | float | int | str, tick_size: Decimal, mode: RoundingMode = "nearest"
) -> Decimal:
    """Round `price` to a multiple of `tick_size`.

    `mode` is "nearest" (half up), "down" or "up"; use "down" for a buy limit and "up" for a sell
    limit when a price must not become more aggressive than asked.
    """
    if tick_size <= 0:
        raise ValueError(f"tick size must be positive, got {tick_size}")
    value = to_decimal(price)
    steps = (value / tick_size).quantize(_ONE, rounding=_MODES[mode])
    return (steps * tick_size).quantize(_quantum(tick_size))


@functools.lru_cache(maxsize=64)
def _quantum(tick_size: Decimal) -> Decimal:
    """The decimal places a price on this tick grid is written with (0.05 → 0.01)."""
    exponent = tick_size.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return _ONE.scaleb(-places)


def is_on_tick(price: Decimal, tick_size: Decimal) -> bool:
    return price % tick_size == 0
