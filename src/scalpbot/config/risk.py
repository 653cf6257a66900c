"""The `risk` section: the limits of `RiskSettings`, as a config model.

`RiskSettings` (in the engine) is the one place that decides what a valid limit is; this model
only gives the limits config-file types and defaults, then builds a `RiskSettings` to check them,
so a rule added there is enforced here without being written twice. Capital is not a risk key: it
is `trading.capital`, handed over in `to_risk_settings`.
"""

from __future__ import annotations

import re
from dataclasses import fields
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from scalpbot.config.fields import WholeNumber, field_error
from scalpbot.engine.risk_settings import RiskSettings, RiskSettingsError

#: Any positive capital will do while checking the other limits on their own.
_PROBE_CAPITAL = Decimal(1)


class RiskConfig(BaseModel):
    """Pre-trade limits; `None` switches a limit off. See `RiskSettings` for what each means."""

    model_config = ConfigDict(extra="forbid")

    max_open_positions: WholeNumber | None = None
    max_order_value: Decimal | None = None
    max_order_quantity: WholeNumber | None = None
    daily_loss_limit: Decimal | None = None
    daily_loss_limit_pct: float | None = None
    max_drawdown_pct: float | None = None
    max_consecutive_losses: WholeNumber | None = None
    max_orders_per_second: WholeNumber = 10
    price_band_pct: float | None = 5.0
    enforce_market_hours: bool = True
    enforce_square_off: bool = True
    risk_per_trade_pct: float | None = None
    default_stop_pct: float | None = None

    @model_validator(mode="after")
    def _check_with_risk_settings(self) -> RiskConfig:
        try:
            self.to_risk_settings(_PROBE_CAPITAL)
        except RiskSettingsError as exc:
            name = self._offending_field()
            if name is None:
                raise field_error("", str(exc)) from None
            raise field_error(
                name, _without_name_and_value(str(exc)), getattr(self, name)
            ) from None
        return self

    def _limits(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}

    def _offending_field(self) -> str | None:
        """The first limit `RiskSettings` refuses on its own, so the error lands on its key."""
        for name, value in self._limits().items():
            try:
                RiskSettings(capital=_PROBE_CAPITAL, **{name: value})
            except RiskSettingsError:
                return name
        return None

    def to_risk_settings(self, capital: Decimal) -> RiskSettings:
        """The engine's settings for these limits and `capital` (normally `trading.capital`)."""
        return RiskSettings(capital=capital, **self._limits())


def risk_setting_names() -> list[str]:
    """The fields of `RiskSettings` a config sets (all but capital), for tests and docs."""
    return [f.name for f in fields(RiskSettings) if f.name != "capital"]


def _without_name_and_value(message: str) -> str:
    """'risk setting x must be at least 1, got 0' → 'must be at least 1': the error formatter
    already shows the key and the value."""
    text = re.sub(r"^risk setting \w+ ", "", message)
    return re.sub(r", got .*$", "", text)
