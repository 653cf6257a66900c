"""Settings of one installation: its home folder, config.yaml, secrets.env and environment.

    home = resolve_home(cli_home)          # --home, $SCALPBOT_HOME or ~/.scalpbot
    settings = load_settings(home)         # validated; a bad value raises ConfigError
    settings.trading.symbols, settings.risk_settings(), settings.database_url(layout(home))

See DESIGN.md: config may import `scalpbot.domain` and `scalpbot.engine.risk_settings` only.
"""

from scalpbot.config.alerts import (
    CHANNELS,
    EVENT_NAMES,
    AlertsSettings,
    EmailSettings,
    TelegramSettings,
)
from scalpbot.config.errors import Problem, SettingsError
from scalpbot.config.fields import KNOWN_BROKERS
from scalpbot.config.home import HomeLayout, init_home, layout, resolve_home
from scalpbot.config.loading import load_settings, save_settings_section
from scalpbot.config.models import (
    BrokerSettings,
    DatabaseSettings,
    ServerSettings,
    Settings,
    StrategyConfig,
    TradingSettings,
)
from scalpbot.config.risk import RiskConfig
from scalpbot.config.secrets import mask_secret, settings_for_display

__all__ = [
    "CHANNELS",
    "EVENT_NAMES",
    "KNOWN_BROKERS",
    "AlertsSettings",
    "BrokerSettings",
    "DatabaseSettings",
    "EmailSettings",
    "HomeLayout",
    "Problem",
    "RiskConfig",
    "ServerSettings",
    "Settings",
    "SettingsError",
    "StrategyConfig",
    "TelegramSettings",
    "TradingSettings",
    "init_home",
    "layout",
    "load_settings",
    "mask_secret",
    "resolve_home",
    "save_settings_section",
    "settings_for_display",
]
