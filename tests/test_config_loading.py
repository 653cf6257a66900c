"""load_settings: the order of sources, and one readable error per bad value."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from scalpbot.config import Settings, SettingsError, init_home, layout, load_settings
from scalpbot.domain import ConfigError


def write(home: Path, config: str | None = None, secrets: str | None = None) -> None:
    home.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (home / "config.yaml").write_text(config, encoding="utf-8")
    if secrets is not None:
        (home / "secrets.env").write_text(secrets, encoding="utf-8")
        (home / "secrets.env").chmod(0o600)


def test_missing_home_gives_the_defaults_and_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "nowhere"
    assert load_settings(home, environ={}).model_dump() == Settings().model_dump()
    assert not home.exists()


def test_sources_override_in_order_yaml_secrets_environment_overrides(tmp_path: Path) -> None:
    write(
        tmp_path,
        config=(
            "trading:\n"
            "  timeframe: 3m\n"
            "  capital: 200000\n"
            "  quantity: 2\n"
            "server:\n"
            "  port: 9000\n"
            "  host: 0.0.0.0\n"
        ),
        secrets=(
            "# a comment\n"
            "SCALPBOT__TRADING__CAPITAL=300000\n"
            "SCALPBOT__TRADING__QUANTITY=3\n"
            "export SCALPBOT__SERVER__PORT='9001'\n"
        ),
    )
    environ = {
        "SCALPBOT__TRADING__QUANTITY": "4",
        "scalpbot__server__port": "9002",  # names are case-insensitive
        "SCALPBOT_HOME": "/not/a/setting",  # single underscore: not a setting
        "PATH": "/usr/bin",
    }
    settings = load_settings(tmp_path, environ=environ, overrides={"server.port": 9003})
    assert settings.trading.timeframe == "3m"  # config.yaml only
    assert settings.trading.capital == Decimal(300000)  # secrets.env beats config.yaml
    assert settings.trading.quantity == 4  # environment beats secrets.env
    assert settings.server.port == 9003  # overrides beat everything
    assert settings.server.host == "0.0.0.0"  # keys nobody overrides keep their yaml value
    assert settings.trading.mode == "paper"  # and unset keys their defaults


def test_text_sources_spell_lists_and_mappings(tmp_path: Path) -> None:
    environ = {
        "SCALPBOT__TRADING__SYMBOLS": "nse:tcs, NFO:NIFTY24DECFUT",
        "SCALPBOT__ALERTS__EVENTS": '{"stop_hit": ["telegram"], "order_filled": []}',
        "SCALPBOT__TRADING__STRATEGIES": '[{"name": "breakout", "params": {"period": 20}}]',
    }
    settings = load_settings(tmp_path, environ=environ, overrides={"trading.mode": "Paper"})
    assert settings.trading.symbols == ["NSE:TCS", "NFO:NIFTY24DECFUT"]
    assert settings.alerts.events == {"stop_hit": ["telegram"], "order_filled": []}
    assert settings.trading.strategies[0].name == "breakout"
    assert settings.trading.strategies[0].params == {"period": 20}


def test_secrets_are_read_from_secrets_env(tmp_path: Path) -> None:
    write(
        tmp_path,
        config="broker:\n  name: zerodha\n  api_key: kite-key\n",
        secrets='SCALPBOT__BROKER__API_SECRET="s3cr3t with spaces "\n',
    )
    settings = load_settings(tmp_path, environ={})
    assert settings.broker.name == "zerodha"
    assert settings.broker.api_key == "kite-key"
    assert settings.broker.api_secret is not None
    assert settings.broker.api_secret.get_secret_value() == "s3cr3t with spaces "


def test_risk_and_database_helpers(tmp_path: Path) -> None:
    write(tmp_path, config="trading:\n  capital: 250000\nrisk:\n  daily_loss_limit: 1500.05\n")
    settings = load_settings(tmp_path, environ={})
    risk = settings.risk_settings()
    assert risk.capital == Decimal(250000)
    assert risk.daily_loss_limit == Decimal("1500.05")
    assert settings.database_url(layout(tmp_path)) == f"sqlite:///{tmp_path / 'scalpbot.db'}"
    other = load_settings(tmp_path, environ={"SCALPBOT__DATABASE__URL": "postgresql://db/x"})
    assert other.database_url(layout(tmp_path)) == "postgresql://db/x"
    # new orders' intent lines: beside a SQLite file by default, in the home for PostgreSQL
    assert settings.intents_dir(layout(tmp_path)) is None
    assert other.intents_dir(layout(tmp_path)) == tmp_path / "intents"


def test_empty_sections_mean_defaults(tmp_path: Path) -> None:
    write(tmp_path, config="broker:\nalerts:\n  telegram:\n")
    assert load_settings(tmp_path, environ={}).model_dump() == Settings().model_dump()


# Each case: config.yaml text, environment, and what the one error line must contain.
BAD_VALUES = {
    "bad timeframe": (
        "trading:\n  timeframe: 2m\n",
        {},
        ["trading.timeframe", "'2m'", "'1m', '3m', '5m' or '15m'", "config.yaml, line 2"],
    ),
    "bad mode": (
        "trading:\n  mode: demo\n",
        {},
        ["trading.mode", "'demo'", "'paper' or 'live'", "line 2"],
    ),
    "negative capital": (
        "trading:\n  symbols: [NSE:INFY]\n  capital: -5000\n",
        {},
        ["trading.capital", "-5000", "greater than 0", "line 3"],
    ),
    "unknown key": (
        "trading:\n  timeframe: 1m\n  timeframes: 5m\n",
        {},
        ["trading.timeframes", "unknown key", "timeframe, capital", "line 3"],
    ),
    "unknown section": (
        "tradin:\n  mode: paper\n",
        {},
        ["tradin", "unknown section", "broker, trading, risk", "line 1"],
    ),
    "bad symbol format": (
        "trading:\n  symbols:\n    - NSE:INFY\n    - RELIANCE\n",
        {},
        ["trading.symbols[1]", "'RELIANCE'", "EXCHANGE:SYMBOL", "NSE, BSE", "line 4"],
    ),
    "bad exchange": (
        "trading:\n  symbols: [LSE:VOD]\n",
        {},
        ["trading.symbols[0]", "'LSE:VOD'", "NSE, BSE, NFO, BFO, MCX, CDS"],
    ),
    "bad risk value": (
        "risk:\n  max_open_positions: 0\n",
        {},
        ["risk.max_open_positions", "= 0", "at least 1", "line 2"],
    ),
    "bad risk percentage": (
        "risk:\n  default_stop_pct: 100\n",
        {},
        ["risk.default_stop_pct", "100", "below 100"],
    ),
    "email enabled without host": (
        "alerts:\n  email:\n    enabled: true\n",
        {},
        ["alerts.email.smtp_host", "not set", "enabled is true", "sender, recipients"],
    ),
    "telegram enabled without token": (
        "alerts:\n  telegram:\n    enabled: true\n    chat_id: '42'\n",
        {},
        ["alerts.telegram.bot_token", "not set", "secrets.env"],
    ),
    "unknown broker": (
        "broker:\n  name: robinhood\n",
        {},
        ["broker.name", "'robinhood'", "paper, zerodha, kotak, angel, upstox, icici, fyers, dhan"],
    ),
    "live on the paper broker": (
        "trading:\n  mode: live\n",
        {},
        ["trading.mode", "'live'", "real broker"],
    ),
    "port out of range from the environment": (
        "",
        {"SCALPBOT__SERVER__PORT": "70000"},
        ["server.port", "'70000'", "at most 65535", "environment variable SCALPBOT__SERVER__PORT"],
    ),
    "not a number": (
        "trading:\n  quantity: lots\n",
        {},
        ["trading.quantity", "'lots'", "integer"],
    ),
    "unknown alert event": (
        "alerts:\n  events:\n    stop_hitt: [telegram]\n",
        {},
        ["alerts.events.stop_hitt", "unknown event", "stop_hit, target_hit"],
    ),
    "strategy on an untraded symbol": (
        "trading:\n  symbols: [NSE:INFY]\n  strategies:\n    - name: ma_cross\n"
        "      symbols: [NSE:TCS]\n",
        {},
        ["trading.strategies[0].symbols[0]", "'NSE:TCS'", "allowed: NSE:INFY"],
    ),
    "yaml syntax error": (
        "trading:\n  mode: paper\n  symbols: [NSE:INFY\nrisk:\n",
        {},
        ["config.yaml, line", "YAML syntax error"],
    ),
    "duplicate key": (
        "trading:\n  timeframe: 1m\n  timeframe: 5m\n",
        {},
        ["trading.timeframe", "written twice", "line 3"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_VALUES), ids=list(BAD_VALUES))
def test_bad_value_is_one_error_naming_key_value_and_what_is_allowed(
    tmp_path: Path, case: str
) -> None:
    config, environ, expected = BAD_VALUES[case]
    write(tmp_path, config=config)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ=environ)
    message = str(caught.value)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert isinstance(caught.value, SettingsError)
    assert len(caught.value.problems) == 1, message
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # loading wrote nothing


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, config="server:\n  port: 8050\n  host: [unclosed\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, environ={})
    assert f"{tmp_path / 'config.yaml'}, line " in str(caught.value)
    assert "line 4" in str(caught.value) or "line 3" in str(caught.value)


def test_several_problems_are_listed_together(tmp_path: Path) -> None:
    write(tmp_path, config="trading:\n  timeframe: 2m\n  mode: demo\nserver:\n  port: 0\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, environ={}, overrides={"trading.quantity": "0"})
    keys = [problem.key for problem in caught.value.problems]
    assert sorted(keys) == ["server.port", "trading.mode", "trading.quantity", "trading.timeframe"]
    assert "override trading.quantity" in str(caught.value)


def test_a_secret_never_appears_in_an_error(tmp_path: Path) -> None:
    secret = "TOPSECRET-9f8e7d6c5b4a"
    write(
        tmp_path,
        config=f"broker:\n  api_secret: {secret}\n",  # a secret in the wrong file
        secrets=(
            f"SCALPBOT__BROKER__TOTP_SECRET={secret}-totp\n"
            f"SCALPBOT__TRADING__MODE={secret}-mode\n"  # non-secret key, but from secrets.env
            f"SCALPBOT__BROKER__API_SECRT={secret}-typo\n"  # unknown key
            f"this line is broken {secret}-line\n"
            "SCALPBOT__ALERTS__TELEGRAM__ENABLED=true\n"
        ),
    )
    environ = {"SCALPBOT__ALERTS__TELEGRAM__BOT_TOKEN": f"{secret}-token"}
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, environ=environ)
    message = str(caught.value)
    assert secret not in message
    assert "TOPS" not in message
    for key in ("broker.api_secret", "trading.mode", "broker.api_secrt", "alerts.telegram.chat_id"):
        assert key in message, key
    assert "secrets.env, line 4: expected KEY=VALUE" in message
    assert "(hidden)" in message


def test_a_secret_of_the_wrong_type_is_hidden(tmp_path: Path) -> None:
    write(tmp_path, config="alerts:\n  email:\n    password: [hunter2hunter2]\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, environ={})
    assert "hunter2" not in str(caught.value)
    assert "alerts.email.password" in str(caught.value)


def test_database_url_password_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, environ={"SCALPBOT__DATABASE__URL": "user:pw-1234@host"})
    assert "database.url" in str(caught.value)
    with pytest.raises(SettingsError) as caught:
        load_settings(
            tmp_path,
            environ={"SCALPBOT__DATABASE__URL": "postgresql://u:pw-1234@h/db"},
            overrides={"database.echo": "maybe"},
        )
    assert "pw-1234" not in str(caught.value)


def test_init_then_load_with_a_valid_edit(tmp_path: Path) -> None:
    paths = init_home(tmp_path)
    text = paths.config_file.read_text(encoding="utf-8").replace("timeframe: 1m", "timeframe: 5m")
    paths.config_file.write_text(text, encoding="utf-8")
    assert load_settings(tmp_path, environ={}).trading.timeframe == "5m"
