"""Turning everything that can be wrong with the settings into one readable line per problem.

A line names the key (`trading.timeframe`), the bad value, where it came from (file and line,
environment variable or override) and what is allowed:

    trading.timeframe = '2m' (/home/me/.scalpbot/config.yaml, line 31): allowed: '1m', '3m', '5m'
    or '15m'

Secret values are never shown: neither the value of a secret field nor anything read from
secrets.env (a non-secret key may be written there too, and then it is treated as a secret).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from scalpbot.config import schema
from scalpbot.config.fields import FIELD_ERROR
from scalpbot.domain import ConfigError

Path = tuple[str, ...]
HIDDEN = "(hidden)"
_MAX_VALUE_CHARS = 80
_URL_PASSWORD = re.compile(r"([^:/@\s]*:)[^:/@\s]+@")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a value came from; `secret` origins (secrets.env) never have their values shown."""

    label: str
    secret: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the settings. `key` is dotted (`alerts.email.smtp_host`), or the
    file name for a problem with a whole file (a YAML syntax error)."""

    key: str
    problem: str
    value: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        head = self.key if self.value is None else f"{self.key} = {self.value}"
        if self.source:
            head += f" ({self.source})"
        return f"{head}: {self.problem}"


class SettingsError(ConfigError):
    """The settings are invalid; `problems` lists each one (a dashboard can show them per key)."""

    def __init__(self, problems: Sequence[Problem], header: str = "invalid settings") -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            text = f"{header}: {self.problems[0]}"
        else:
            lines = [f"{header} ({len(self.problems)} problems):"]
            lines += [f"  - {problem}" for problem in self.problems]
            text = "\n".join(lines)
        super().__init__(text)


def display_key(path: Iterable[str | int]) -> str:
    """('trading', 'strategies', '0', 'name') → 'trading.strategies[0].name'."""
    text = ""
    for part in path:
        part = str(part)
        if part.isdigit():
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def mask_url_password(text: str) -> str:
    """postgresql://me:hunter2@db/x → postgresql://me:***@db/x (also without the scheme)."""
    return _URL_PASSWORD.sub(r"\1***@", text)


def show_value(value: Any) -> str | None:
    """A short YAML-like rendering of a bad value; None for mappings (they may hold secrets and
    the key already says which one is wrong)."""
    if isinstance(value, Mapping | BaseModel):
        return None
    if isinstance(value, list | tuple):
        items = [show_value(item) for item in value]
        if any(item is None for item in items):
            return None
        text = "[" + ", ".join(item for item in items if item is not None) + "]"
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = repr(mask_url_password(value))
    elif isinstance(value, int | float | Decimal):
        text = str(value)
    else:
        text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1] + "…"
    return text


def origin_of(origins: Mapping[Path, Origin], path: Sequence[str]) -> Origin | None:
    """The source of the value at `path`: the deepest recorded key path containing it."""
    for end in range(len(path), 0, -1):
        found = origins.get(tuple(path[:end]))
        if found is not None:
            return found
    return None


def problems_from_validation(
    error: ValidationError, origins: Mapping[Path, Origin]
) -> list[Problem]:
    """One `Problem` per pydantic error, in a user's words (see the module docstring)."""
    problems: list[Problem] = []
    for item in error.errors():
        path = [str(part) for part in item["loc"]]
        context = item.get("ctx") or {}
        if item["type"] == FIELD_ERROR and context.get("field"):
            path += str(context["field"]).split(".")
        origin = origin_of(origins, path)
        hidden = schema.is_secret(path) or (origin is not None and origin.secret)
        if item["type"] == FIELD_ERROR:
            has_value, value = "value" in context, context.get("value")
        else:
            has_value, value = item["type"] != "missing", item.get("input")
        shown = (HIDDEN if hidden else show_value(value)) if has_value else None
        problems.append(
            Problem(
                key=display_key(path) or "settings",
                problem=_explain(item["type"], item["msg"], context, path),
                value=shown,
                source=origin.label if origin else None,
            )
        )
    return problems


def _explain(kind: str, message: str, context: Mapping[str, Any], path: Sequence[str]) -> str:
    if kind == "extra_forbidden":
        allowed = schema.model_keys(path[:-1])
        if not path[:-1]:
            return f"unknown section; allowed: {', '.join(allowed or [])}"
        if allowed is not None:
            return f"unknown key; allowed keys in {display_key(path[:-1])}: {', '.join(allowed)}"
        return "unknown key"
    if kind == "missing":
        return "required, but not set"
    if kind == "literal_error":
        return f"allowed: {context.get('expected')}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "expected a section of `key: value` lines (a mapping)"
    if kind == "list_type":
        return "expected a list, such as [a, b]"
    bounds = {
        "greater_than": ("must be greater than", "gt"),
        "greater_than_equal": ("must be at least", "ge"),
        "less_than": ("must be less than", "lt"),
        "less_than_equal": ("must be at most", "le"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"{words} {context.get(key)}"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if message.startswith("Input should be "):
        return "expected " + message.removeprefix("Input should be ")
    return message
