"""The settings of one installation, as pydantic models: one class per section of config.yaml.

Every model forbids unknown keys, so a misspelt setting is an error instead of a silently
ignored line. `Settings()` on its own reads nothing (no environment, no files) and is the
defaults; `scalpbot.config.loading.load_settings` assembles config.yaml, secrets.env, the
environment and command-line overrides itself, because it must say which file or variable a bad
value came from, which pydantic-settings' own sources cannot tell.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from scalpbot.config.alerts import AlertsSettings
from scalpbot.config.fields import (
    BrokerName,
    HttpUrl,
    NonEmptyStr,
    SymbolKey,
    WebSocketUrl,
    WholeNumber,
    field_error,
)
from scalpbot.config.risk import RiskConfig
from scalpbot.engine.risk_settings import RiskSettings

if TYPE_CHECKING:
    from scalpbot.config.home import HomeLayout


class BrokerSettings(BaseModel):
    """Which broker account to trade through, and the credentials to reach it.

    The secret fields are meant for secrets.env; a broker uses the subset it needs.
    """

    model_config = ConfigDict(extra="forbid")

    name: BrokerName = "paper"
    api_key: str | None = None
    api_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    totp_secret: SecretStr | None = None
    password: SecretStr | None = None
    user_id: str | None = None
    algo_id: str | None = None
    base_url: HttpUrl | None = None
    ws_url: WebSocketUrl | None = None
    login_url: HttpUrl | None = None
    redirect_url: HttpUrl | None = None


class StrategyConfig(BaseModel):
    """One strategy to run: a built-in name or `path/to/file.py:ClassName`, and its parameters."""

    model_config = ConfigDict(extra="forbid")

    name: NonEmptyStr
    params: dict[str, Any] = Field(default_factory=dict)
    symbols: list[SymbolKey] = Field(default_factory=list)
    id: NonEmptyStr | None = None


def _default_strategies() -> list[StrategyConfig]:
    return [
        StrategyConfig(
            name="ma_cross", params={"fast": 9, "slow": 21, "kind": "ema", "long_only": False}
        )
    ]


class TradingSettings(BaseModel):
    """What to trade, how much, and in which mode."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["paper", "live"] = "paper"
    symbols: list[SymbolKey] = Field(
        default_factory=lambda: ["NSE:RELIANCE", "NSE:INFY", "NSE:HDFCBANK"]
    )
    timeframe: Literal["1m", "3m", "5m", "15m"] = "1m"
    capital: Decimal = Field(default=Decimal(100000), gt=0)
    product: Literal["MIS", "CNC", "NRML"] = "MIS"
    quantity: WholeNumber = Field(default=1, ge=1)
    strategies: list[StrategyConfig] = Field(default_factory=_default_strategies)
    cancel_orders_on_stop: bool = True
    square_off_on_stop: bool = False
    # "always" lifts the exchange-hours rules (market hours, square-off time, price band): for a
    # broker sandbox that trades around the clock, never for a real exchange.
    market_hours: Literal["exchange", "always"] = "exchange"

    @field_validator("mode", "timeframe", "market_hours", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        """`Live` means live: only the choice is checked, not how it is capitalised."""
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("product", mode="before")
    @classmethod
    def _upper_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("symbols")
    @classmethod
    def _one_or_more_distinct(cls, symbols: list[str]) -> list[str]:
        if not symbols:
            raise ValueError("list at least one symbol, such as [NSE:RELIANCE]")
        seen: set[str] = set()
        for index, symbol in enumerate(symbols):
            if symbol in seen:
                raise field_error(str(index), "listed twice", symbol)
            seen.add(symbol)
        return symbols

    @model_validator(mode="after")
    def _strategies_trade_listed_symbols(self) -> Self:
        ids: set[str] = set()
        for index, strategy in enumerate(self.strategies):
            for position, symbol in enumerate(strategy.symbols):
                if symbol not in self.symbols:
                    raise field_error(
                        f"strategies.{index}.symbols.{position}",
                        f"not in trading.symbols; allowed: {', '.join(self.symbols)}",
                        symbol,
                    )
            if strategy.id is not None:
                if strategy.id in ids:
                    raise field_error(
                        f"strategies.{index}.id", "used by another strategy", strategy.id
                    )
                ids.add(strategy.id)
        return self


class DatabaseSettings(BaseModel):
    """Where orders, fills and sessions are stored (SQLAlchemy URL)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _looks_like_a_url(cls, url: str | None) -> str | None:
        if url is not None and "://" not in url:
            raise ValueError(
                "expected a SQLAlchemy URL such as sqlite:////abs/path.db or "
                "postgresql+psycopg://user@host/db, or null for the database in the home folder"
            )
        return url


class ServerSettings(BaseModel):
    """Where the dashboard and REST API listen."""

    model_config = ConfigDict(extra="forbid")

    host: NonEmptyStr = "127.0.0.1"
    port: WholeNumber = Field(default=8050, ge=1, le=65535)


class Settings(BaseSettings):
    """All settings of one installation. Build it with `load_settings(home)`; `Settings()` is
    the defaults."""

    model_config = SettingsConfigDict(extra="forbid")

    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    trading: TradingSettings = Field(default_factory=TradingSettings)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what is passed in: the process environment is read by `load_settings`, which
        knows where each value came from (see the module docstring)."""
        return (init_settings,)

    @model_validator(mode="after")
    def _live_needs_a_real_broker(self) -> Self:
        if self.trading.mode == "live" and self.broker.name == "paper":
            raise field_error(
                "trading.mode",
                "live trading needs a real broker: set broker.name (zerodha, kotak, angel, "
                "upstox, icici, fyers, dhan) or use mode: paper",
                self.trading.mode,
            )
        return self

    def database_url(self, home: HomeLayout) -> str:
        """The SQLAlchemy URL to use: `database.url`, else the SQLite file in the home."""
        if self.database.url is not None:
            return self.database.url
        return f"sqlite:///{home.database_file.absolute()}"

    def intents_dir(self, home: HomeLayout) -> Path | None:
        """Where the store keeps new orders' intent lines: for a SQLite file, the folder beside
        it (None: the store's default); for PostgreSQL, the home's `intents/`, so every command
        run on this home folds in what a killed session left."""
        url = self.database_url(home)
        return None if url.startswith("sqlite") else home.intents_dir

    def risk_settings(self) -> RiskSettings:
        """The engine's risk limits: the `risk` section with `trading.capital`."""
        return self.risk.to_risk_settings(self.trading.capital)
