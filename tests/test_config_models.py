"""The settings models: defaults, the risk section's parity with RiskSettings, alerts routing,
and display without secrets."""

from __future__ import annotations

import json
from dataclasses import fields
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from scalpbot.config import (
    EVENT_NAMES,
    AlertsSettings,
    RiskConfig,
    Settings,
    StrategyConfig,
    TradingSettings,
    layout,
    mask_secret,
    settings_for_display,
)
from scalpbot.config.schema import secret_paths
from scalpbot.engine.risk_settings import RiskSettings


def test_defaults_are_the_documented_ones() -> None:
    settings = Settings()
    assert settings.broker.name == "paper"
    assert settings.trading.mode == "paper"
    assert settings.trading.symbols == ["NSE:RELIANCE", "NSE:INFY", "NSE:HDFCBANK"]
    assert settings.trading.timeframe == "1m"
    assert settings.trading.capital == Decimal(100000)
    assert settings.trading.product == "MIS"
    assert settings.trading.quantity == 1
    assert settings.trading.strategies == [
        StrategyConfig(
            name="ma_cross", params={"fast": 9, "slow": 21, "kind": "ema", "long_only": False}
        )
    ]
    assert settings.trading.cancel_orders_on_stop and not settings.trading.square_off_on_stop
    assert settings.server.host == "127.0.0.1" and settings.server.port == 8050
    assert settings.database.url is None and not settings.database.echo
    assert settings.alerts.events == {}


def test_settings_alone_ignore_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALPBOT__TRADING__TIMEFRAME", "15m")
    assert Settings().trading.timeframe == "1m"


def test_risk_section_has_the_fields_and_defaults_of_risk_settings() -> None:
    engine_fields = {f.name: f.default for f in fields(RiskSettings) if f.name != "capital"}
    config = RiskConfig()
    assert list(RiskConfig.model_fields) == list(engine_fields)
    assert {name: getattr(config, name) for name in engine_fields} == engine_fields


def test_risk_section_builds_the_engine_settings() -> None:
    config = RiskConfig(max_open_positions=3, daily_loss_limit=Decimal("2500.50"))
    risk = config.to_risk_settings(Decimal(150000))
    assert risk == RiskSettings(
        capital=Decimal(150000), max_open_positions=3, daily_loss_limit=Decimal("2500.50")
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_order_value", Decimal(-1)),
        ("daily_loss_limit_pct", 150.0),
        ("price_band_pct", 0.0),
        ("max_orders_per_second", 0),
        ("max_consecutive_losses", True),
    ],
)
def test_risk_section_refuses_what_risk_settings_refuses(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        RiskConfig.model_validate({field: value})
    (error,) = caught.value.errors()
    context = error.get("ctx") or {}
    assert field in (context.get("field"), *error["loc"])


def test_trading_symbols_are_normalised_and_checked() -> None:
    trading = TradingSettings(symbols=[" nse:infy ", "NFO:nifty24decfut"])
    assert trading.symbols == ["NSE:INFY", "NFO:NIFTY24DECFUT"]
    for bad in ([], ["NSE:INFY", "nse:infy"], ["NSE:"], ["NSE:IN FY"], ["NSE:A:B"]):
        with pytest.raises(ValidationError):
            TradingSettings(symbols=bad)


def test_alert_events_route_to_enabled_channels() -> None:
    alerts = AlertsSettings.model_validate(
        {
            "telegram": {"enabled": True, "bot_token": "t" * 20, "chat_id": "1"},
            "events": {"Stop_Hit": ["Email", "telegram", "telegram"], "order_placed": []},
        }
    )
    assert alerts.events == {"stop_hit": ["email", "telegram"], "order_placed": []}
    assert alerts.channels_for("stop_hit") == ["telegram"]  # e-mail is not enabled
    assert alerts.channels_for("order_placed") == []  # silenced
    assert alerts.channels_for("daily_summary") == ["telegram"]  # unlisted: every enabled one
    assert "daily_summary" in EVENT_NAMES and len(EVENT_NAMES) == 13


def test_database_url_defaults_to_sqlite_in_the_home(tmp_path: Path) -> None:
    settings = Settings()
    url = settings.database_url(layout(tmp_path / "home"))
    assert url == f"sqlite:///{(tmp_path / 'home' / 'scalpbot.db').absolute()}"
    assert url.startswith("sqlite:////")


def test_mask_secret() -> None:
    assert mask_secret(None) is None
    assert mask_secret("ABCDEFGHIJKLMNOP") == "ABCD…"
    assert mask_secret("short-pin") == "…"  # a short secret shows nothing of itself
    assert mask_secret("") == "…"


def test_display_masks_every_secret_and_is_json() -> None:
    secret = "SECRETSECRET-0123456789"
    values: dict[str, Any] = {}
    for path in secret_paths():
        section = values
        for part in path[:-1]:
            section = section.setdefault(part, {})
        section[path[-1]] = SecretStr(f"{secret}-{'-'.join(path)}")
    values["alerts"]["telegram"]["chat_id"] = "1"
    values["database"] = {"url": "postgresql+psycopg://bot:dbpass-4321@db/scalp"}
    settings = Settings.model_validate(values)
    shown = settings_for_display(settings)
    text = json.dumps(shown)
    assert secret not in text
    assert "dbpass-4321" not in text
    assert shown["broker"]["api_secret"] == "SECR…"
    assert shown["alerts"]["email"]["password"] == "SECR…"
    assert shown["trading"]["capital"] == "100000"
    assert shown["database"]["url"] == "postgresql+psycopg://bot:***@db/scalp"
    assert len(secret_paths()) == 6
