"""RiskSettings: bad limits are refused at load time with the field and the value named."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from scalpbot.domain import ConfigError
from scalpbot.engine.risk_settings import RiskSettings, RiskSettingsError


def test_defaults_are_the_documented_ones() -> None:
    settings = RiskSettings(capital=Decimal(100_000))
    assert settings.max_orders_per_second == 10
    assert settings.price_band_pct == 5.0
    assert settings.enforce_market_hours is True
    assert settings.enforce_square_off is True
    assert settings.max_open_positions is None
    assert settings.daily_loss_limit is None


def test_money_is_stored_as_exact_decimal() -> None:
    loose: dict[str, Any] = {
        "capital": 100_000,
        "daily_loss_limit": 1500.05,
        "max_order_value": "25000.5",
    }
    settings = RiskSettings(**loose)
    assert settings.capital == Decimal(100_000)
    assert settings.daily_loss_limit == Decimal("1500.05")
    assert settings.max_order_value == Decimal("25000.5")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("capital", Decimal(0)),
        ("capital", Decimal(-1)),
        ("capital", "lots"),
        ("capital", Decimal("Infinity")),
        ("max_open_positions", 0),
        ("max_open_positions", -2),
        ("max_open_positions", 2.5),
        ("max_order_value", Decimal(-100)),
        ("max_order_quantity", 0),
        ("max_order_quantity", True),
        ("daily_loss_limit", Decimal(0)),
        ("daily_loss_limit_pct", -1.0),
        ("daily_loss_limit_pct", 150.0),
        ("daily_loss_limit_pct", float("nan")),
        ("max_drawdown_pct", 0.0),
        ("max_consecutive_losses", 0),
        ("max_orders_per_second", 0),
        ("max_orders_per_second", None),
        ("price_band_pct", -5.0),
        ("enforce_market_hours", "yes please"),
        ("enforce_square_off", 1),
        ("risk_per_trade_pct", 0.0),
        ("default_stop_pct", 100.0),
        ("default_stop_pct", -0.5),
    ],
)
def test_bad_value_names_field_and_value(field: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"capital": Decimal(100_000), field: value}
    with pytest.raises(RiskSettingsError) as caught:
        RiskSettings(**kwargs)
    message = str(caught.value)
    assert field in message
    assert repr(value) in message or str(value) in message
    # One exception, two useful types: plain ValueError for Python callers, ConfigError for the CLI.
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, ConfigError)


def test_from_dict_parses_config_values() -> None:
    settings = RiskSettings.from_dict(
        {
            "capital": "250000",
            "max_open_positions": "3",
            "daily_loss_limit": 2500,
            "daily_loss_limit_pct": "1.5",
            "max_consecutive_losses": 4.0,
            "price_band_pct": None,
            "enforce_market_hours": "false",
            "enforce_square_off": True,
        }
    )
    assert settings.capital == Decimal(250_000)
    assert settings.max_open_positions == 3
    assert settings.daily_loss_limit == Decimal(2500)
    assert settings.daily_loss_limit_pct == 1.5
    assert settings.max_consecutive_losses == 4
    assert settings.price_band_pct is None
    assert settings.enforce_market_hours is False
    assert settings.enforce_square_off is True


def test_from_dict_refuses_unknown_keys_naming_them() -> None:
    with pytest.raises(RiskSettingsError) as caught:
        RiskSettings.from_dict({"capital": 1000, "daily_los_limit": 5, "max_postions": 2})
    message = str(caught.value)
    assert "daily_los_limit" in message
    assert "max_postions" in message


def test_from_dict_requires_capital() -> None:
    with pytest.raises(RiskSettingsError, match="capital"):
        RiskSettings.from_dict({"max_open_positions": 2})


def test_from_dict_refuses_a_non_mapping() -> None:
    with pytest.raises(RiskSettingsError, match="mapping"):
        RiskSettings.from_dict([("capital", 1000)])  # type: ignore[arg-type]


def test_from_dict_bad_count_string_names_field() -> None:
    with pytest.raises(RiskSettingsError, match=r"max_order_quantity.*'-3'"):
        RiskSettings.from_dict({"capital": 1000, "max_order_quantity": "-3"})


def test_to_dict_round_trips_exactly_and_is_json() -> None:
    original = RiskSettings(
        capital=Decimal("123456.78"),
        max_order_value=Decimal("50000.05"),
        daily_loss_limit_pct=2.0,
        max_consecutive_losses=3,
        enforce_square_off=False,
    )
    data = json.loads(json.dumps(original.to_dict()))
    assert RiskSettings.from_dict(data) == original
