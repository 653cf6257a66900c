"""Reading the four sources of settings, remembering where each value came from.

Lowest to highest priority: config.yaml, secrets.env, environment variables, overrides (command
line flags). config.yaml is the base document; each later source is a list of assignments to
key paths that replace whatever was there. Every value keeps an `Origin` (file and line,
variable name, override), so an error names where to fix it.

Text sources (secrets.env, the environment) spell a list as `a,b,c` or as JSON (`["a","b"]`),
a mapping as JSON; everything else is passed on as text for the models to parse.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scalpbot.config import schema
from scalpbot.config.errors import Origin, Problem, SettingsError

KeyPath = tuple[str, ...]
ENV_PREFIX = "SCALPBOT__"


@dataclass
class Base:
    """The parsed config.yaml: its data, the line each key is on, problems found reading it."""

    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[KeyPath, Origin] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Layer:
    """Assignments from one higher-priority source, applied in order."""

    assignments: list[tuple[KeyPath, Any, Origin]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SecretsLine:
    """One meaningful line of secrets.env: its number, key (upper-cased) and raw value."""

    number: int
    key: str
    value: str


# ---------------------------------------------------------------------------------- config.yaml


def yaml_base(text: str, file: Path) -> Base:
    """Parse config.yaml's text. A syntax error raises `SettingsError` naming file and line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        raise SettingsError([_yaml_syntax_problem(exc, file)]) from None
    except yaml.YAMLError as exc:
        raise SettingsError([Problem(str(file), f"not valid YAML: {exc}")]) from None
    base = Base()
    if data is None:
        return base
    if not isinstance(data, dict):
        raise SettingsError(
            [
                Problem(
                    str(file),
                    "the top level must be a mapping of sections "
                    f"({', '.join(schema.model_keys(()) or [])}), not a {type(data).__name__}",
                )
            ]
        )
    base.data = _string_keys(data)
    if node is not None:
        _record_lines(node, (), file, base)
    for path in schema.secret_paths():
        if _get(base.data, path) is not None:
            base.problems.append(
                Problem(
                    ".".join(path),
                    "secrets belong in secrets.env (mode 0600), not config.yaml: remove it here "
                    f"and write {schema.env_name(path)}=… in secrets.env",
                    source=_label(base.origins, path),
                )
            )
    return base


def _yaml_syntax_problem(exc: yaml.MarkedYAMLError, file: Path) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    where = f"{file}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(file)
    words = "; ".join(part for part in (exc.context, exc.problem) if part)
    # Built from the parts rather than str(exc), which quotes the offending line of the file.
    return Problem(where, f"YAML syntax error: {words or 'cannot parse'}")


def _string_keys(value: Any) -> Any:
    """YAML allows `8050: x` (an int key); our keys are names, so compare them as text."""
    if isinstance(value, dict):
        return {str(key): _string_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_string_keys(item) for item in value]
    return value


def _record_lines(node: yaml.Node, path: KeyPath, file: Path, base: Base) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                base.problems.append(
                    Problem(
                        ".".join(child),
                        "written twice; keep one",
                        source=f"{file}, line {key_node.start_mark.line + 1}",
                    )
                )
            seen.add(key)
            base.origins[child] = Origin(f"{file}, line {key_node.start_mark.line + 1}")
            _record_lines(value_node, child, file, base)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, str(index))
            base.origins[child] = Origin(f"{file}, line {item.start_mark.line + 1}")
            _record_lines(item, child, file, base)


def _label(origins: Mapping[KeyPath, Origin], path: KeyPath) -> str | None:
    found = origins.get(path)
    return found.label if found else None


# ---------------------------------------------------------------------------------- secrets.env


def parse_secrets(text: str, file: Path) -> tuple[list[SecretsLine], list[Problem]]:
    """`KEY=VALUE` lines (optionally `export KEY=VALUE`, VALUE optionally quoted). Blank lines
    and lines starting with # are ignored; there are no inline comments, since a secret may
    hold a '#'. Problems never quote a line: it may hold a secret."""
    lines: list[SecretsLine] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line.removeprefix("export ").lstrip()
        key, sep, value = line.partition("=")
        key = key.strip().upper()
        where = f"{file}, line {number}"
        if not sep or not key or any(ch.isspace() for ch in key):
            problems.append(
                Problem(where, "expected KEY=VALUE, such as SCALPBOT__BROKER__API_SECRET=…")
            )
            continue
        if not key.startswith(ENV_PREFIX):
            problems.append(
                Problem(where, f"{key} is not a setting; keys look like SCALPBOT__SECTION__KEY")
            )
            continue
        if key in seen:
            problems.append(Problem(where, f"{key} is also set on line {seen[key]}; keep one"))
            continue
        seen[key] = number
        lines.append(SecretsLine(number, key, _unquote(value.strip())))
    return lines, problems


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def quote_secret(value: str) -> str:
    """The text to write after `KEY=` so that `parse_secrets` reads `value` back unchanged."""
    needs_quotes = value != value.strip() or (
        len(value) >= 2 and value[0] == value[-1] and value[0] in "'\""
    )
    if not needs_quotes:
        return value
    return f"'{value}'" if "'" not in value else f'"{value}"'


def secrets_layer(text: str, file: Path) -> Layer:
    lines, problems = parse_secrets(text, file)
    layer = Layer(problems=problems)
    for line in lines:
        origin = Origin(f"{file}, line {line.number}", secret=True)
        _add_text(layer, line.key, line.value, origin)
    return layer


# ---------------------------------------------------------------------------- environment, flags


def env_layer(environ: Mapping[str, str]) -> Layer:
    """`SCALPBOT__SECTION__KEY` variables (any case); empty ones count as unset."""
    layer = Layer()
    for name in sorted(environ):
        if name.upper().startswith(ENV_PREFIX):
            _add_text(layer, name, environ[name], Origin(f"environment variable {name}"))
    return layer


def overrides_layer(overrides: Mapping[str, Any]) -> Layer:
    """Dotted keys such as {"trading.mode": "live"}; text values are read like environment
    values, a mapping given for a section sets its keys one by one."""
    layer = Layer()
    for key, value in overrides.items():
        path = tuple(part.strip() for part in str(key).split("."))
        origin = Origin(f"override {key}")
        if any(not part for part in path):
            layer.problems.append(Problem(str(key), "not a dotted key such as trading.mode"))
        elif isinstance(value, str):
            _add_parsed(layer, path, value, origin)
        else:
            _assign(layer, path, value, origin)
    return layer


def _add_text(layer: Layer, name: str, text: str, origin: Origin) -> None:
    parts = name[len(ENV_PREFIX) :].lower().split("__")
    if any(not part for part in parts):
        layer.problems.append(
            Problem(name, "malformed name; write SCALPBOT__SECTION__KEY", source=origin.label)
        )
        return
    if text.strip():
        _add_parsed(layer, tuple(parts), text, origin)


def _add_parsed(layer: Layer, path: KeyPath, text: str, origin: Origin) -> None:
    kind = schema.kind_at(path)
    stripped = text.strip()
    if kind not in ("list", "dict", "model"):
        _assign(layer, path, text, origin)
        return
    if stripped.startswith(("[", "{")):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            layer.problems.append(
                Problem(".".join(path), f"not valid JSON: {exc.msg}", source=origin.label)
            )
            return
        _assign(layer, path, value, origin)
    elif kind == "list" and schema.list_item_kind(path) != "model":
        _assign(layer, path, [item.strip() for item in stripped.split(",") if item.strip()], origin)
    else:
        wanted = "a JSON list" if kind == "list" else "a JSON object"
        layer.problems.append(Problem(".".join(path), f"expected {wanted}", source=origin.label))


def _assign(layer: Layer, path: KeyPath, value: Any, origin: Origin) -> None:
    """Record `path = value`; a mapping given for a section sets its keys one by one, so the
    keys it does not mention keep their lower-priority values."""
    if isinstance(value, Mapping) and schema.kind_at(path) == "model":
        for key, item in value.items():
            _assign(layer, (*path, str(key)), item, origin)
    else:
        layer.assignments.append((path, value, origin))


# ---------------------------------------------------------------------------------- merging


def merge(base: Base, layers: Iterable[Layer]) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    """The merged document and the origin of each key path in it."""
    data = copy.deepcopy(base.data)
    origins = dict(base.origins)
    for layer in layers:
        for path, value, origin in layer.assignments:
            if not _set(data, path, value):
                continue
            for known in [p for p in origins if p[: len(path)] == path]:
                del origins[known]
            origins[path] = origin
    _empty_sections_to_mappings(data, ())
    return data, origins


def _set(data: dict[str, Any], path: KeyPath, value: Any) -> bool:
    """Put `value` at `path`; False (leaving the bad value to be reported) when a part of the
    way is not a mapping, as in `trading: 5`."""
    current = data
    for part in path[:-1]:
        child = current.get(part)
        if child is None:
            child = current[part] = {}
        if not isinstance(child, dict):
            return False
        current = child
    current[path[-1]] = value
    return True


def _get(data: Mapping[str, Any], path: KeyPath) -> Any:
    current: Any = data
    for part in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _empty_sections_to_mappings(data: dict[str, Any], path: KeyPath) -> None:
    """`broker:` with nothing under it (YAML null) means "all defaults", not an error."""
    for key, value in list(data.items()):
        child = (*path, key)
        if schema.kind_at(child) != "model":
            continue
        if value is None:
            data[key] = {}
        elif isinstance(value, dict):
            _empty_sections_to_mappings(value, child)


def value_at(data: Mapping[str, Any], path: KeyPath) -> Any:
    """The value at `path` in a merged document (None where absent)."""
    return _get(data, path)
