"""Position sizing by risk: how many units to trade so that a stop-out costs a fixed share of
capital.

Sizing always rounds DOWN (to whole units, then to whole lots): rounding up would risk more
than the user allowed. When not even one lot fits, the answer is 0 and the caller refuses the
order with a reason, rather than quietly trading one lot that breaks the rule.
All arithmetic is in `Decimal`, so the same inputs give the same size in every mode.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from scalpbot.market.ticks import to_decimal


def round_to_lot(quantity: int, lot_size: int) -> int:
    """`quantity` rounded down to a multiple of `lot_size` (F&O trade in whole lots)."""
    _check_lot_size(lot_size)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValueError(f"quantity must be a non-negative integer, got {quantity!r}")
    return quantity // lot_size * lot_size


def size_by_risk(
    capital: Decimal,
    risk_pct: float,
    entry_price: Decimal,
    stop_price: Decimal,
    lot_size: int,
) -> int:
    """Quantity whose loss from `entry_price` to `stop_price` is at most `risk_pct`% of capital.

    Works for longs (stop below entry) and shorts (stop above). Charges and slippage are not
    included: keep `risk_pct` a little under what you can afford to lose per trade.

        >>> size_by_risk(Decimal(100_000), 1.0, Decimal(500), Decimal(495), 1)
        200
        >>> size_by_risk(Decimal(100_000), 1.0, Decimal(500), Decimal(495), 75)
        150
    """
    capital = _positive_decimal("capital", capital)
    if isinstance(risk_pct, bool) or not isinstance(risk_pct, int | float | Decimal):
        raise ValueError(f"risk_pct must be a number (percent of capital), got {risk_pct!r}")
    risk = risk_pct if isinstance(risk_pct, Decimal) else to_decimal(float(risk_pct))
    if not risk.is_finite() or not 0 < risk <= 100:
        raise ValueError(f"risk_pct must be above 0 and at most 100 (percent), got {risk_pct!r}")
    entry = _positive_decimal("entry_price", entry_price)
    stop = _decimal("stop_price", stop_price)
    _check_lot_size(lot_size)
    per_unit = abs(entry - stop)
    if per_unit == 0:
        raise ValueError(
            f"stop_price equals entry_price ({entry}): the risk per unit is zero, so no size "
            "follows from it; give a stop away from the entry"
        )
    budget = capital * risk / 100
    units = int((budget / per_unit).to_integral_value(rounding=ROUND_FLOOR))
    return round_to_lot(units, lot_size)


def _decimal(name: str, value: Decimal) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{name} must be a finite Decimal, got {value!r}")
    return value


def _positive_decimal(name: str, value: Decimal) -> Decimal:
    value = _decimal(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def _check_lot_size(lot_size: int) -> None:
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 1:
        raise ValueError(f"lot_size must be an integer of at least 1, got {lot_size!r}")
