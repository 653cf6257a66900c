"""From settings to a ready broker adapter, and the daily login around it.

The CLI (`scalpbot login`, `scalpbot run --mode live`, `scalpbot data download`) and the
dashboard (Brokers page, login callback, postback) reach a real broker only through here, so
where the access token and the instrument master are kept is decided once:

- `<home>/tokens/<broker>.json` (mode 0600) holds the day's access token and its expiry;
- `<home>/data/instruments/<broker>.csv` holds the broker's instrument master, refreshed daily.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from scalpbot.brokers import create_broker, supported_brokers
from scalpbot.brokers.zerodha.auth import TokenStore
from scalpbot.config import Settings
from scalpbot.domain import Broker, ConfigError, Order, Profile

#: Brokers with a live adapter in this version (the paper broker trades nothing real).
LIVE_BROKERS = ("zerodha",)


def token_file(home: Path, broker: str) -> Path:
    return Path(home) / "tokens" / f"{broker}.json"


def instruments_cache(home: Path, broker: str) -> Path:
    return Path(home) / "data" / "instruments" / f"{broker}.csv"


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _text(value: object | None) -> str | None:
    return str(value).rstrip("/") if value is not None else None


def with_broker(settings: Settings, name: str) -> Settings:
    """`settings` with `broker.name` set to `name` (a login or postback names its broker)."""
    return settings.model_copy(update={"broker": settings.broker.model_copy(update={"name": name})})


def require_live_broker(name: str) -> None:
    if name not in LIVE_BROKERS:
        known = ", ".join(supported_brokers())
        raise ConfigError(
            f"broker {name!r} has no live adapter in this version; live adapters: "
            f"{', '.join(LIVE_BROKERS)} (brokers known: {known}). Paper trading needs none."
        )


def open_broker(settings: Settings, home: Path) -> Any:
    """The configured broker's adapter, logged in with the stored token when there is one."""
    cfg = settings.broker
    require_live_broker(cfg.name)
    if not cfg.api_key:
        raise ConfigError(
            f"broker.api_key is not set: {cfg.name} needs your app's API key (config.yaml or "
            "secrets.env, or the dashboard's Brokers page)"
        )
    tokens = token_file(home, cfg.name)
    tokens.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    cache = instruments_cache(home, cfg.name)
    cache.parent.mkdir(parents=True, exist_ok=True)
    return create_broker(
        broker_name=cfg.name,
        api_key=cfg.api_key,
        api_secret=_secret(cfg.api_secret),
        access_token=_secret(cfg.access_token),
        base_url=_text(cfg.base_url),
        ws_url=_text(cfg.ws_url),
        login_url=_text(cfg.login_url),
        redirect_url=_text(cfg.redirect_url),
        algo_id=cfg.algo_id,
        token_file=tokens,
        instruments_cache=cache,
    )


def login_url(settings: Settings, home: Path) -> str:
    broker = open_broker(settings, home)
    try:
        return str(broker.login_url())
    finally:
        broker.close()


def complete_login(settings: Settings, home: Path, redirected: str) -> Profile:
    """Exchange the request token of the broker's redirect for the day's access token."""
    broker = open_broker(settings, home)
    try:
        profile: Profile = broker.complete_login(redirected)
        return profile
    finally:
        broker.close()


@dataclass(frozen=True, slots=True)
class LoginStatus:
    broker: str
    authenticated: bool
    user_id: str | None = None
    expires_at: datetime | None = None


def login_status(settings: Settings, home: Path) -> LoginStatus:
    """Whether a valid (unexpired) access token is stored for the configured broker."""
    name = settings.broker.name
    if name == "paper":
        return LoginStatus(name, True)
    if name not in LIVE_BROKERS:
        return LoginStatus(name, False)
    stored = TokenStore(token_file(home, name)).load()
    if stored is None:
        return LoginStatus(name, settings.broker.access_token is not None)
    return LoginStatus(name, True, stored.user_id, stored.expires_at)


def order_from_postback(settings: Settings, home: Path, body: bytes) -> Order:
    """The broker's postback as the order it reports; the checksum is verified by the adapter
    (a forged or damaged postback raises and changes nothing)."""
    broker = open_broker(settings, home)
    try:
        order: Order = broker.parse_postback(body)
        return order
    finally:
        broker.close()


def broker_for_session(settings: Settings, home: Path) -> Broker:
    broker: Broker = open_broker(settings, home)
    return broker
