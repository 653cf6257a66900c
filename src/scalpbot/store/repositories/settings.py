"""Run-time settings as JSON values under string keys (what the dashboard changes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from scalpbot.store.models import SettingRow
from scalpbot.store.repositories.base import Repository, require_text
from scalpbot.store.types import json_value


class SettingsRepository(Repository):
    def get(self, key: str) -> Any | None:
        """The value stored under `key`, or None if there is none."""
        with self._read(f"reading setting {key!r}") as db:
            row = db.get(SettingRow, require_text(key, "setting key", 128))
            return None if row is None else row.value

    def set(self, key: str, value: Any) -> None:
        """Store `value` (anything JSON; Decimals are kept as their exact text) under `key`."""
        key = require_text(key, "setting key", 128)
        stored = json_value(value, f"setting {key!r}")
        with self._write(f"writing setting {key!r}") as db:
            row = db.get(SettingRow, key)
            if row is None:
                db.add(SettingRow(key=key, value=stored))
            else:
                row.value = stored

    def all(self) -> dict[str, Any]:
        with self._read("reading all settings") as db:
            return {row.key: row.value for row in db.scalars(select(SettingRow))}
