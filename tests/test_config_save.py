"""save_settings_section: valid changes are saved (secrets apart), invalid ones change nothing."""

from __future__ import annotations

import os
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scalpbot.config import (
    SettingsError,
    init_home,
    load_settings,
    mask_secret,
    save_settings_section,
    settings_for_display,
)

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwx"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_saved_values_load_back_and_secrets_go_to_secrets_env(tmp_path: Path) -> None:
    paths = init_home(tmp_path)
    saved = save_settings_section(
        tmp_path,
        "alerts",
        {"telegram": {"enabled": True, "bot_token": TOKEN, "chat_id": "-100200"}},
        environ={},
    )
    assert saved.alerts.telegram.enabled
    config = paths.config_file.read_text(encoding="utf-8")
    secrets = paths.secrets_file.read_text(encoding="utf-8")
    assert TOKEN not in config
    # The value replaces the template's commented-out placeholder, under its comment.
    assert (
        f"# Token of your bot from @BotFather.\nSCALPBOT__ALERTS__TELEGRAM__BOT_TOKEN={TOKEN}\n"
        in secrets
    )
    assert "# SMTP password." in secrets  # the template's comments are kept
    assert mode_of(paths.secrets_file) == 0o600
    assert "chat_id: '-100200'" in config
    assert "# Send alerts to Telegram: true or false." in config  # our comments survive a save

    loaded = load_settings(tmp_path, environ={})
    assert loaded.model_dump() == saved.model_dump()
    assert loaded.alerts.telegram.bot_token is not None
    assert loaded.alerts.telegram.bot_token.get_secret_value() == TOKEN


def test_saved_values_are_written_as_the_models_read_them(tmp_path: Path) -> None:
    paths = init_home(tmp_path)
    save_settings_section(
        tmp_path,
        "trading",
        {"symbols": ["nse:tcs", "NSE:INFY"], "capital": "250000.50", "mode": "PAPER"},
        environ={},
    )
    config = paths.config_file.read_text(encoding="utf-8")
    assert "symbols: ['NSE:TCS', 'NSE:INFY']" in config
    assert "capital: 250000.50" in config
    assert "mode: paper" in config
    loaded = load_settings(tmp_path, environ={})
    assert loaded.trading.capital == Decimal("250000.50")
    assert loaded.trading.timeframe == "1m"  # keys not given are kept


def test_masked_secret_means_unchanged_and_none_removes(tmp_path: Path) -> None:
    paths = init_home(tmp_path)
    save_settings_section(tmp_path, "broker", {"api_secret": TOKEN}, environ={})
    shown = settings_for_display(load_settings(tmp_path, environ={}))
    assert shown["broker"]["api_secret"] == mask_secret(TOKEN) == "1234…"

    save_settings_section(
        tmp_path, "broker", {"api_secret": shown["broker"]["api_secret"]}, environ={}
    )
    secret = load_settings(tmp_path, environ={}).broker.api_secret
    assert secret is not None and secret.get_secret_value() == TOKEN

    with pytest.raises(SettingsError, match="masked"):
        save_settings_section(tmp_path, "broker", {"password": "abcd…"}, environ={})

    save_settings_section(tmp_path, "broker", {"api_secret": None}, environ={})
    assert load_settings(tmp_path, environ={}).broker.api_secret is None
    lines = paths.secrets_file.read_text(encoding="utf-8").splitlines()
    assert not any(line.startswith("SCALPBOT__BROKER__API_SECRET") for line in lines)


def test_a_key_kept_in_secrets_env_stays_there(tmp_path: Path) -> None:
    paths = init_home(tmp_path)
    with paths.secrets_file.open("a", encoding="utf-8") as handle:
        handle.write("SCALPBOT__DATABASE__URL=postgresql://bot:pw-5678@db/scalp\n")
    save_settings_section(
        tmp_path, "database", {"url": "postgresql://bot:pw-9999@db/scalp"}, environ={}
    )
    assert "pw-9999" not in paths.config_file.read_text(encoding="utf-8")
    assert "pw-9999" in paths.secrets_file.read_text(encoding="utf-8")
    assert "pw-5678" not in paths.secrets_file.read_text(encoding="utf-8")


def test_save_makes_secrets_env_private_and_creates_it_private(tmp_path: Path) -> None:
    paths = init_home(tmp_path)
    os.chmod(paths.secrets_file, 0o644)
    save_settings_section(tmp_path, "server", {"port": 8060}, environ={})
    assert mode_of(paths.secrets_file) == 0o600

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    save_settings_section(fresh, "broker", {"name": "zerodha", "api_secret": TOKEN}, environ={})
    assert mode_of(fresh / "secrets.env") == 0o600
    assert load_settings(fresh, environ={}).broker.name == "zerodha"


INVALID_SAVES: dict[str, tuple[str, dict[str, Any], str]] = {
    "bad timeframe": ("trading", {"timeframe": "2m"}, "trading.timeframe"),
    "unknown key": ("server", {"prot": 80}, "server.prot"),
    "bad risk value": ("risk", {"max_drawdown_pct": -3}, "risk.max_drawdown_pct"),
    "email half set": ("alerts", {"email": {"enabled": True}}, "alerts.email.smtp_host"),
    "telegram token without chat": (
        "alerts",
        {"telegram": {"enabled": True, "bot_token": TOKEN}},
        "alerts.telegram.chat_id",
    ),
}


@pytest.mark.parametrize("case", list(INVALID_SAVES), ids=list(INVALID_SAVES))
def test_invalid_save_changes_neither_file(tmp_path: Path, case: str) -> None:
    section, values, key = INVALID_SAVES[case]
    paths = init_home(tmp_path)
    save_settings_section(tmp_path, "broker", {"api_secret": "old-secret-value-1"}, environ={})
    config_before = paths.config_file.read_bytes()
    secrets_before = paths.secrets_file.read_bytes()
    with pytest.raises(SettingsError) as caught:
        save_settings_section(tmp_path, section, values, environ={})
    assert key in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert paths.config_file.read_bytes() == config_before
    assert paths.secrets_file.read_bytes() == secrets_before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "config.yaml",
        "data",
        "logs",
        "secrets.env",
    ]


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    init_home(tmp_path)
    with pytest.raises(SettingsError, match="unknown section; allowed: broker, trading"):
        save_settings_section(tmp_path, "brokers", {"name": "zerodha"}, environ={})


def test_save_validates_against_the_environment_too(tmp_path: Path) -> None:
    init_home(tmp_path)
    environ = {"SCALPBOT__BROKER__NAME": "paper"}
    with pytest.raises(SettingsError, match="real broker"):
        save_settings_section(tmp_path, "trading", {"mode": "live"}, environ=environ)
    saved = save_settings_section(
        tmp_path, "broker", {"name": "kotak"}, environ={"SCALPBOT__SERVER__PORT": "9999"}
    )
    assert saved.server.port == 9999
    # The environment's value is in effect, not written into config.yaml.
    assert load_settings(tmp_path, environ={}).server.port == 8050


def test_saving_a_secret_moves_it_out_of_config_yaml(tmp_path: Path) -> None:
    paths = init_home(tmp_path)
    text = paths.config_file.read_text(encoding="utf-8")
    paths.config_file.write_text(
        text.replace("  api_key: null\n", f"  api_key: null\n  api_secret: {TOKEN}\n"),
        encoding="utf-8",
    )
    with pytest.raises(SettingsError, match="secrets belong in secrets"):
        load_settings(tmp_path, environ={})
    save_settings_section(tmp_path, "broker", {"api_secret": TOKEN}, environ={})
    assert TOKEN not in paths.config_file.read_text(encoding="utf-8")
    secret = load_settings(tmp_path, environ={}).broker.api_secret
    assert secret is not None and secret.get_secret_value() == TOKEN
