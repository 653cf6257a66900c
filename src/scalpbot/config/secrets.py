"""Showing settings without showing secrets.

The dashboard, the API and logs show settings through `settings_for_display`, in which every
secret is masked as `ABCD…`: enough to tell which key is configured, not enough to use it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, SecretStr

from scalpbot.config.errors import mask_url_password
from scalpbot.config.models import Settings

ELLIPSIS = "…"
#: Shorter secrets (a PIN, a short password) show nothing but the ellipsis: four characters of
#: a six-character password would give most of it away.
MIN_LENGTH_TO_SHOW_PREFIX = 12


def mask_secret(value: str | None) -> str | None:
    """'ABCDEFGHIJKLMNOP' → 'ABCD…'; a secret under 12 characters → '…'; None stays None."""
    if value is None:
        return None
    if len(value) < MIN_LENGTH_TO_SHOW_PREFIX:
        return ELLIPSIS
    return value[:4] + ELLIPSIS


def settings_for_display(settings: Settings) -> dict[str, Any]:
    """The settings as a JSON-able dict (Decimal as text) with every secret masked, and the
    password of a database URL replaced by ***."""
    shown: dict[str, Any] = _display(settings)
    database = shown.get("database")
    if isinstance(database, dict) and isinstance(database.get("url"), str):
        database["url"] = mask_url_password(database["url"])
    return shown


def _display(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return mask_secret(value.get_secret_value())
    if isinstance(value, BaseModel):
        return {name: _display(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {str(key): _display(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_display(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value
