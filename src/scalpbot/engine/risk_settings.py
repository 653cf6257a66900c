"""The limits the pre-trade risk manager enforces, validated once when they are made.

A limit that is `None` is off. Settings come from a user's config file, so every value is
checked in `__post_init__` and a bad one raises `RiskSettingsError` naming the field and the
value: a typo in a loss limit must stop the bot from starting, not let it trade unguarded.
Money limits are `Decimal` (they are compared with exact P&L); percentages are floats because
they are ratios a user writes, turned into `Decimal` only where they meet money.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from scalpbot.domain import ConfigError
from scalpbot.market.ticks import to_decimal


class RiskSettingsError(ConfigError, ValueError):
    """A risk setting is invalid. It is a `ValueError` too, so plain Python callers can catch
    the usual type while the CLI reports it like every other config error."""


_MONEY_FIELDS = ("capital", "max_order_value", "daily_loss_limit")
_COUNT_FIELDS = (
    "max_open_positions",
    "max_order_quantity",
    "max_consecutive_losses",
    "max_orders_per_second",
)
_PCT_FIELDS = (
    "daily_loss_limit_pct",
    "max_drawdown_pct",
    "price_band_pct",
    "risk_per_trade_pct",
    "default_stop_pct",
)
_FLAG_FIELDS = ("enforce_market_hours", "enforce_square_off")
_TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "off", "0"})


@dataclass(frozen=True, slots=True)
class RiskSettings:
    """Pre-trade limits. Only `capital` is required; the rest default to off or to a safe value.

    `capital` is what the percentage limits refer to (and what risk-based sizing risks a share
    of). Money values may be given as `int`, `str` or `float` too; they are stored as `Decimal`.
    """

    capital: Decimal
    max_open_positions: int | None = None
    max_order_value: Decimal | None = None
    max_order_quantity: int | None = None
    daily_loss_limit: Decimal | None = None
    daily_loss_limit_pct: float | None = None
    max_drawdown_pct: float | None = None
    max_consecutive_losses: int | None = None
    max_orders_per_second: int = 10
    price_band_pct: float | None = 5.0
    enforce_market_hours: bool = True
    enforce_square_off: bool = True
    risk_per_trade_pct: float | None = None
    default_stop_pct: float | None = None

    def __post_init__(self) -> None:
        for name in _MONEY_FIELDS:
            value = getattr(self, name)
            if value is None and name != "capital":
                continue
            amount = _money(name, value)
            if amount <= 0:
                raise RiskSettingsError(f"risk setting {name} must be positive, got {value!r}")
            object.__setattr__(self, name, amount)
        for name in _COUNT_FIELDS:
            value = getattr(self, name)
            if value is None and name != "max_orders_per_second":
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise RiskSettingsError(f"risk setting {name} must be an integer, got {value!r}")
            if value < 1:
                raise RiskSettingsError(f"risk setting {name} must be at least 1, got {value!r}")
        for name in _PCT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _percent(name, value))
        for name in _FLAG_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise RiskSettingsError(f"risk setting {name} must be true or false, got {value!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskSettings:
        """Build settings from a config mapping (YAML/JSON values, or strings from the
        environment). Unknown keys are refused, because a misspelt limit would otherwise be
        silently off."""
        if not isinstance(data, Mapping):
            raise RiskSettingsError(f"risk settings must be a mapping, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise RiskSettingsError(
                f"unknown risk setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        if "capital" not in data:
            raise RiskSettingsError("risk setting capital is required")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in _COUNT_FIELDS:
                values[name] = _count_from_config(name, value)
            elif name in _FLAG_FIELDS:
                values[name] = _flag_from_config(name, value)
            else:
                values[name] = value  # money and percentages are parsed by __post_init__
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The settings as config values; money as strings so `from_dict` gives them back
        exactly."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = str(value) if isinstance(value, Decimal) else value
        return out


def _money(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise RiskSettingsError(f"risk setting {name} must be an amount in rupees, got {value!r}")
    try:
        amount = to_decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise RiskSettingsError(
            f"risk setting {name} must be an amount in rupees, got {value!r}"
        ) from None
    if not amount.is_finite():
        raise RiskSettingsError(f"risk setting {name} must be a finite amount, got {value!r}")
    return amount


def _percent(name: str, value: object) -> float:
    """A percentage in (0, 100]; a stop distance of 100% or more would put the stop at zero."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise RiskSettingsError(f"risk setting {name} must be a percentage, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise RiskSettingsError(
            f"risk setting {name} must be a percentage, got {value!r}"
        ) from None
    if not math.isfinite(number) or number <= 0:
        raise RiskSettingsError(f"risk setting {name} must be a positive percentage, got {value!r}")
    ceiling_ok = number < 100 if name == "default_stop_pct" else number <= 100
    if not ceiling_ok:
        bound = "below 100" if name == "default_stop_pct" else "at most 100"
        raise RiskSettingsError(f"risk setting {name} must be {bound} (percent), got {value!r}")
    return number


def _count_from_config(name: str, value: object) -> object:
    """Config files and environment variables may spell a count as "3"; anything else is left
    for `__post_init__` to judge, so one place words the error."""
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _flag_from_config(name: str, value: object) -> object:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return value
