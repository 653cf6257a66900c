"""Changing settings from the API: validate, save (all sections or none), apply what can be.

`save_settings_section` validates and writes one section; a request may change several, so the
files are remembered first and put back if a later section is refused: bad input changes
nothing. What was saved survives a restart (it is in config.yaml and secrets.env). The running
session takes new risk limits at once; everything else (symbols, strategies, capital, broker,
alerts) is read when the next session starts, and the answer says so.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scalpbot.config import Settings, layout, save_settings_section, settings_for_display
from scalpbot.config.files import SECRET_MODE, write_atomically
from scalpbot.runtime.manager import SessionManager

EDITABLE = ("broker", "trading", "risk", "alerts")
LIVE = "applied to the running session"
NEXT_START = "applies when the next session starts"
SAVED = "saved"


def save_sections(home: Path, changes: Mapping[str, Mapping[str, Any]]) -> Settings:
    """Save each section's changes in order; if one is refused, restore the files as they
    were and re-raise (SettingsError naming every problem)."""
    paths = layout(home)
    home.mkdir(parents=True, exist_ok=True)
    before = {path: _read(path) for path in (paths.config_file, paths.secrets_file)}
    settings: Settings | None = None
    try:
        for section, values in changes.items():
            settings = save_settings_section(home, section, values)
    except BaseException:
        for path, text in before.items():
            _restore(path, text, private=path == paths.secrets_file)
        raise
    if settings is None:
        raise ValueError("no section to save")
    return settings


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _restore(path: Path, text: str | None, *, private: bool) -> None:
    if text is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    elif _read(path) != text:
        write_atomically(path, text, mode=SECRET_MODE if private else 0o644)


def apply_live(manager: SessionManager, settings: Settings, sections: list[str]) -> dict[str, str]:
    """For each changed section, whether it took effect now or at the next start."""
    outcome: dict[str, str] = {}
    for section in sections:
        if section == "risk" and manager.apply_risk(settings):
            outcome[section] = LIVE
        elif manager.control is not None:
            outcome[section] = NEXT_START
        else:
            outcome[section] = SAVED + "; " + NEXT_START
    return outcome


def log_change(manager: SessionManager, changes: Mapping[str, Mapping[str, Any]]) -> None:
    """One event-log line naming the changed keys (never their values: some are secrets)."""
    keys = [f"{section}.{key}" for section, values in changes.items() for key in values]
    session_id = (
        None if manager.control is None or manager.session is None else (manager.session.session_id)
    )
    message = f"settings changed: {', '.join(keys) or '(nothing)'}"
    manager.store.events.add("settings_changed", message, None, session_id, time.time_ns())


def display(settings: Settings) -> dict[str, Any]:
    return settings_for_display(settings)
