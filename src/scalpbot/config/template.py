"""The commented config.yaml and secrets.env that `scalpbot init` writes.

config.yaml is rendered from data and a table of one-line comments, one per section and key, so
the file a user opens explains itself, and `save_settings_section` can rewrite it with the same
comments (PyYAML cannot keep the comments of a file it rewrites; a user's own comments are lost
on such a save, ours are not). A test checks that every field of the models has its comment.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import yaml
from pydantic import BaseModel

from scalpbot.config import schema
from scalpbot.config.alerts import CHANNELS, EVENT_NAMES
from scalpbot.config.fields import KNOWN_BROKERS
from scalpbot.config.models import Settings

HEADER = """\
# scalpbot settings of this installation (written by `scalpbot init`).
# Sources, lowest to highest priority: this file, secrets.env, environment variables
# SCALPBOT__SECTION__KEY (e.g. SCALPBOT__TRADING__MODE=live), then command-line flags.
# Secrets (tokens, passwords, API secrets) go in secrets.env next to this file, never here.
"""

_BROKERS = ", ".join(KNOWN_BROKERS)
_WIDTH = 96  # of the rendered lines, comments included

COMMENTS: dict[str, str] = {
    "broker": "The broker account to trade through and how to reach it.",
    "broker.name": f"Broker adapter: {_BROKERS}.",
    "broker.api_key": "API key of your broker app (public half of the pair); null if unused.",
    "broker.api_secret": "API secret of your broker app.",
    "broker.access_token": "Session access token, if your broker issues one to paste in.",
    "broker.totp_secret": "Base32 TOTP seed, for brokers that log in with a one-time code.",
    "broker.password": "Login password or PIN, for brokers that need it to log in.",
    "broker.user_id": "Your client / user id at the broker; null if unused.",
    "broker.algo_id": "SEBI algo id sent with every order, if your broker requires one.",
    "broker.base_url": "Override of the broker's REST address (http(s)://…); null = default.",
    "broker.ws_url": "Override of the broker's market-data websocket (ws(s)://…); null = default.",
    "broker.login_url": "Override of the broker's login page (http(s)://…); null = default.",
    "broker.redirect_url": "Redirect URL registered for your app's login (http(s)://…).",
    "trading": "What to trade, how much, and whether orders are simulated or real.",
    "trading.mode": "paper (simulated fills) or live (real orders; needs a real broker).",
    "trading.symbols": "Instruments as EXCHANGE:SYMBOL; exchanges: NSE, BSE, NFO, BFO, MCX, CDS.",
    "trading.timeframe": "Bar length the strategies see: 1m, 3m, 5m or 15m.",
    "trading.capital": "Capital in rupees the risk limits refer to; a positive amount.",
    "trading.product": "MIS (intraday), CNC (delivery) or NRML (carry-forward F&O).",
    "trading.quantity": "Lots per entry (1 or more; one lot is 1 share for equity).",
    "trading.strategies": "Strategies to run, each with these keys:",
    "trading.cancel_orders_on_stop": "Cancel open orders when the bot stops: true or false.",
    "trading.square_off_on_stop": "Close open positions when the bot stops: true or false.",
    "trading.market_hours": "exchange (NSE hours, square-off) or always (a broker sandbox only).",
    "risk": "Pre-trade limits; null switches a limit off. Money in rupees, percentages 0-100.",
    "risk.max_open_positions": "Most instruments held at once (whole number >= 1).",
    "risk.max_order_value": "Largest value of one order in rupees.",
    "risk.max_order_quantity": "Largest quantity of one order (whole number >= 1).",
    "risk.daily_loss_limit": "Stop trading for the day after losing this many rupees.",
    "risk.daily_loss_limit_pct": "Same, as a percentage of trading.capital.",
    "risk.max_drawdown_pct": "Stop trading when equity falls this % below its peak.",
    "risk.max_consecutive_losses": "Stop trading after this many losing trades in a row.",
    "risk.max_orders_per_second": "Order rate limit (whole number >= 1).",
    "risk.price_band_pct": "Refuse limit prices further than this % from the last price.",
    "risk.enforce_market_hours": "Refuse new orders outside market hours: true or false.",
    "risk.enforce_square_off": "Refuse new intraday entries after the square-off time.",
    "risk.risk_per_trade_pct": "Size entries to risk this % of capital to the stop.",
    "risk.default_stop_pct": "Stop distance (%) for sizing when a strategy gives none (< 100).",
    "alerts": "Notifications: channels, and which events go where.",
    "alerts.telegram": "A Telegram bot posting to one chat.",
    "alerts.telegram.enabled": "Send alerts to Telegram: true or false.",
    "alerts.telegram.bot_token": "Token of your bot from @BotFather.",
    "alerts.telegram.chat_id": "Chat (user or group) id the bot posts to.",
    "alerts.telegram.api_url": "Telegram Bot API address (change only for a self-hosted one).",
    "alerts.email": "E-mail through an SMTP server.",
    "alerts.email.enabled": "Send alerts by e-mail: true or false.",
    "alerts.email.smtp_host": "SMTP server host name; required when enabled.",
    "alerts.email.smtp_port": "SMTP port (1-65535): 587 for starttls, 465 for ssl.",
    "alerts.email.security": "Connection security: none, starttls or ssl.",
    "alerts.email.username": "SMTP login name; null to send without logging in.",
    "alerts.email.password": "SMTP password.",
    "alerts.email.sender": "From address; required when enabled.",
    "alerts.email.recipients": "To addresses (a list); at least one when enabled.",
    "alerts.events": (
        f"event: [channels] ({', '.join(CHANNELS)}); unlisted events go to every enabled channel."
    ),
    "database": "Where orders, fills and sessions are stored.",
    "database.url": "SQLAlchemy URL, e.g. postgresql+psycopg://…; null = scalpbot.db in home.",
    "database.echo": "Log every SQL statement (for debugging): true or false.",
    "server": "The dashboard and REST API.",
    "server.host": "Address to listen on; 127.0.0.1 keeps it to this computer.",
    "server.port": "Port to listen on (1-65535).",
}

#: Extra comment lines under a key: the keys of a list's items, the names of events.
NOTES: dict[str, tuple[str, ...]] = {
    "trading.strategies": (
        "  name: built-in (ma_cross, rsi_reversion, breakout) or path/to/file.py:ClassName",
        "  params: the strategy's parameters, name: value",
        "  symbols: subset of trading.symbols it trades; [] = all of them",
        "  id: a unique name for it (optional; null = the strategy's name)",
    ),
    "alerts.events": tuple(
        "  " + line for line in textwrap.wrap("events: " + ", ".join(EVENT_NAMES), _WIDTH - 8)
    ),
}

#: Fields of a strategy entry, documented by the notes above (checked by a test).
STRATEGY_KEYS = ("name", "params", "symbols", "id")


class _Dumper(yaml.SafeDumper):
    """Writes Decimal money as a plain number that reads back as exactly the same amount."""


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    if value == value.to_integral_value():
        return dumper.represent_int(int(value))
    return dumper.represent_scalar("tag:yaml.org,2002:float", format(value, "f"))


_Dumper.add_representer(Decimal, _represent_decimal)


def plain(value: Any) -> Any:
    """A value as YAML-ready builtins (models become mappings)."""
    if isinstance(value, BaseModel):
        return plain(value.model_dump())
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def default_data() -> dict[str, Any]:
    """The defaults as config.yaml data (secrets left out: they are all unset)."""
    data: dict[str, Any] = plain(Settings())
    for path in schema.secret_paths():
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        parent.pop(path[-1], None)
    return data


def render_config(data: Mapping[str, Any]) -> str:
    """config.yaml for `data` (sections in the models' order), with a comment on every key."""
    lines = HEADER.rstrip("\n").splitlines()
    for section in Settings.model_fields:
        if section in data:
            lines.append("")
            lines += _entry(section, data[section], (section,), "")
    extra = {key: value for key, value in data.items() if key not in Settings.model_fields}
    if extra:
        lines += ["", *_dump(extra, "")]
    return "\n".join(lines) + "\n"


def _entry(key: str, value: Any, path: tuple[str, ...], indent: str) -> list[str]:
    dotted = ".".join(path)
    lines = [f"{indent}# {COMMENTS[dotted]}"] if dotted in COMMENTS else []
    lines += [f"{indent}# {note}" for note in NOTES.get(dotted, ())]
    if schema.kind_at(path) != "model" or not isinstance(value, Mapping) or not value:
        return lines + _dump({key: plain(value)}, indent)
    lines.append(f"{indent}{key}:")
    for child, item in value.items():
        lines += _entry(str(child), item, (*path, str(child)), indent + "  ")
    for field in schema.model_keys(path) or []:
        child_path = (*path, field)
        if field not in value and schema.kind_at(child_path) == "secret":
            lines.append(
                f"{indent}  # {field}: secret, set {schema.env_name(child_path)} in secrets.env"
            )
    return lines


def _dump(mapping: Mapping[str, Any], indent: str) -> list[str]:
    """Block style for the keys, flow style (`[a, b]`, `{k: v}`) for a list or mapping of
    plain values, which reads best for symbols and strategy parameters."""
    lines: list[str] = []
    for key, value in mapping.items():
        collection = isinstance(value, Mapping | list)
        text = yaml.dump(
            {key: value},
            Dumper=_Dumper,
            default_flow_style=None if collection else False,
            sort_keys=False,
            allow_unicode=True,
            width=_WIDTH - len(indent),
        )
        lines += [f"{indent}{line}" for line in text.rstrip("\n").splitlines()]
    return lines


def default_config_text() -> str:
    return render_config(default_data())


def secrets_template() -> str:
    """A secrets.env with every secret key commented out: the user fills in what they need."""
    lines = [
        "# scalpbot secrets of this installation. Keep this file private (mode 0600); never",
        "# share or commit it. One KEY=VALUE per line, no quotes needed; lines starting with #",
        "# are ignored. Any setting can be given here by its environment-variable name.",
    ]
    for path in schema.secret_paths():
        lines += ["", f"# {COMMENTS['.'.join(path)]}", f"# {schema.env_name(path)}="]
    return "\n".join(lines) + "\n"
