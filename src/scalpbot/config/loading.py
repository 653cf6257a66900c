"""Loading the settings of a home folder, and saving one section of them.

    settings = load_settings(home, overrides={"trading.mode": "live"})

Sources, lowest to highest priority: config.yaml (missing → defaults), secrets.env, environment
variables SCALPBOT__SECTION__KEY (any case; nested keys joined by `__`, e.g.
SCALPBOT__ALERTS__TELEGRAM__CHAT_ID), then `overrides` (dotted keys, from command-line flags).
secrets.env holds `SCALPBOT__SECTION__KEY=value` lines, the same names as the environment.

Anything wrong raises one `SettingsError` (a `ConfigError`) listing every problem with its key,
value (never a secret's), source and what is allowed. Loading writes nothing.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from scalpbot.config import schema
from scalpbot.config.errors import Origin, Problem, SettingsError, problems_from_validation
from scalpbot.config.files import (
    SECRET_MODE,
    is_private,
    make_private,
    write_atomically,
)
from scalpbot.config.home import layout
from scalpbot.config.models import Settings
from scalpbot.config.secrets import ELLIPSIS, mask_secret
from scalpbot.config.sources import (
    Base,
    Layer,
    env_layer,
    merge,
    overrides_layer,
    parse_secrets,
    quote_secret,
    secrets_layer,
    value_at,
    yaml_base,
)
from scalpbot.config.template import plain, render_config

log = logging.getLogger(__name__)

KeyPath = tuple[str, ...]


def load_settings(
    home: Path,
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The validated settings of `home` (see the module docstring for the sources).

    `environ` defaults to the process environment; tests pass their own.
    """
    paths = layout(home)
    base = yaml_base(_read(paths.config_file), paths.config_file)
    secrets_text = _read(paths.secrets_file)
    if secrets_text and not is_private(paths.secrets_file):
        log.warning(
            "%s can be read by other users; run `chmod 600 %s` (or `scalpbot init`, which "
            "fixes it)",
            paths.secrets_file,
            paths.secrets_file,
        )
    layers = [
        secrets_layer(secrets_text, paths.secrets_file),
        env_layer(os.environ if environ is None else environ),
        overrides_layer(overrides or {}),
    ]
    return _validate(base, layers)


def _read(file: Path) -> str:
    """A file's text; "" if it does not exist."""
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError as exc:
        raise SettingsError(
            [Problem(str(file), f"not UTF-8 text (byte {exc.start}); save it as UTF-8")]
        ) from None
    except OSError as exc:
        raise SettingsError([Problem(str(file), f"cannot read it: {exc.strerror}")]) from None


def _validate(base: Base, layers: list[Layer]) -> Settings:
    data, origins = merge(base, layers)
    problems = list(base.problems)
    for layer in layers:
        problems += layer.problems
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems += problems_from_validation(exc, origins)
    if problems:
        raise SettingsError(problems)
    return settings


# ----------------------------------------------------------------------------------- saving


def save_settings_section(
    home: Path,
    section: str,
    values: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Change keys of one section (`values` are nested like the YAML: {"telegram": {...}} for
    alerts) and save them, returning the new settings.

    The merged result (files, environment) is validated first; nothing is written unless it is
    valid. Secret fields go to secrets.env (0600), never to config.yaml; a key already kept in
    secrets.env stays there. A secret given as its masked display form (`ABCD…`, as the
    dashboard shows it) means "unchanged"; None or "" removes it. config.yaml is rewritten with
    scalpbot's comments (a user's own comments in it are not kept: PyYAML cannot keep them).
    """
    if section not in Settings.model_fields:
        allowed = ", ".join(Settings.model_fields)
        raise SettingsError([Problem(section, f"unknown section; allowed: {allowed}")])
    if not isinstance(values, Mapping):
        raise SettingsError([Problem(section, "expected a mapping of keys to new values")])
    env = os.environ if environ is None else environ
    paths = layout(home)
    config_text = _read(paths.config_file)
    secrets_text = _read(paths.secrets_file)
    base = yaml_base(config_text, paths.config_file)
    old_layers = [secrets_layer(secrets_text, paths.secrets_file), env_layer(env)]
    current, _ = merge(base, old_layers)
    secret_lines, problems = parse_secrets(secrets_text, paths.secrets_file)
    if problems:
        raise SettingsError(problems)
    kept_in_secrets = {line.key for line in secret_lines}

    data = base.data
    secret_changes: dict[str, str | None] = {}
    yaml_paths: list[KeyPath] = []
    for path, value in _leaves((section,), values):
        name = schema.env_name(path)
        if schema.is_secret(path):
            text = _secret_text(path, value, value_at(current, path))
            if text is not _UNCHANGED:
                secret_changes[name] = text
            _remove(data, path)
        elif name in kept_in_secrets:
            secret_changes[name] = _as_text(value)
        else:
            _put(data, path, plain(value))
            yaml_paths.append(path)

    new_secrets = _edit_secrets(secrets_text, secret_changes)
    new_base = _saved_base(base, data, yaml_paths)
    new_layers = [secrets_layer(new_secrets, paths.secrets_file), env_layer(env)]
    settings = _validate(new_base, new_layers)

    _normalise(data, yaml_paths, settings, new_layers)
    if new_secrets != secrets_text:
        write_atomically(paths.secrets_file, new_secrets, mode=SECRET_MODE)
    if paths.secrets_file.exists():
        make_private(paths.secrets_file)
    write_atomically(paths.config_file, render_config(data))
    return settings


_UNCHANGED: Any = object()


def _saved_base(old: Base, data: dict[str, Any], changed: list[KeyPath]) -> Base:
    """config.yaml as it would be saved; new values are labelled as such in error messages."""
    origins = {
        path: origin
        for path, origin in old.origins.items()
        if not any(path[: len(c)] == c for c in changed)
    }
    for path in changed:
        origins[path] = Origin("new value")
    # A secret this save moved out of config.yaml is no longer a problem of config.yaml.
    moved = {".".join(path) for path in schema.secret_paths() if value_at(data, path) is None}
    problems = [problem for problem in old.problems if problem.key not in moved]
    return Base(copy.deepcopy(data), origins, problems)


def _leaves(prefix: KeyPath, values: Mapping[str, Any]) -> list[tuple[KeyPath, Any]]:
    """Key paths to set: a sub-section (alerts.telegram) is entered, anything else is a value."""
    found: list[tuple[KeyPath, Any]] = []
    for key, value in values.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and schema.kind_at(path) == "model":
            found += _leaves(path, value)
        else:
            found.append((path, value))
    return found


def _secret_text(path: KeyPath, value: Any, current: Any) -> Any:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SettingsError([Problem(".".join(path), "expected text", value="(hidden)")])
    if value.endswith(ELLIPSIS):
        if isinstance(current, str) and value == mask_secret(current):
            return _UNCHANGED  # the masked form the dashboard showed: keep the secret
        raise SettingsError(
            [Problem(".".join(path), "looks like a masked value; give the whole secret")]
        )
    if "\n" in value or "\r" in value:
        raise SettingsError([Problem(".".join(path), "must be one line", value="(hidden)")])
    return value


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(plain(value), default=str)


def _put(data: dict[str, Any], path: KeyPath, value: Any) -> None:
    current = data
    for part in path[:-1]:
        child = current.get(part)
        if not isinstance(child, dict):
            child = current[part] = {}
        current = child
    current[path[-1]] = value


def _remove(data: dict[str, Any], path: KeyPath) -> None:
    current: Any = data
    for part in path[:-1]:
        current = current.get(part) if isinstance(current, dict) else None
    if isinstance(current, dict):
        current.pop(path[-1], None)


def _edit_secrets(text: str, changes: Mapping[str, str | None]) -> str:
    """secrets.env with `changes` applied line by line, its comments and order kept. A new key
    takes the place of its commented-out placeholder (`# KEY=`) from the template."""
    if not changes:
        return text
    placeholders = {f"# {key}=": key for key in changes}
    done: set[str] = set()
    edited: list[str] = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#"):
            key = placeholders.get(stripped)
            new = changes.get(key) if key else None
            if key and key not in done and new is not None:
                edited.append(f"{key}={quote_secret(new)}")
                done.add(key)
                continue
        else:
            key = stripped.removeprefix("export ").partition("=")[0].strip().upper()
            if key in changes:
                new = changes[key]
                if new is not None and key not in done:
                    edited.append(f"{key}={quote_secret(new)}")
                done.add(key)
                continue
        edited.append(raw)
    for key, new in changes.items():
        if key not in done and new is not None:
            edited.append(f"{key}={quote_secret(new)}")
    return "\n".join(edited) + "\n"


def _normalise(
    data: dict[str, Any], paths: list[KeyPath], settings: Settings, layers: list[Layer]
) -> None:
    """Write saved values as the models read them ('nse:infy' → NSE:INFY, "250000" → 250000),
    except where a higher source overrides them: there the validated value is not ours."""
    overridden = [path for layer in layers for path, _, _ in layer.assignments]
    validated = plain(settings)
    for path in paths:
        if any(_related(path, other) for other in overridden):
            continue
        _put(data, path, value_at(validated, path))


def _related(a: KeyPath, b: KeyPath) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]
