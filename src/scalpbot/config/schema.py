"""Questions about the shape of `Settings` asked by key path: what type lives at
`("alerts", "telegram", "bot_token")`, is it a secret, which keys may appear under a section.

The loader needs these answers to turn an environment variable's text into a list, to keep
secrets out of messages and out of config.yaml, and to list the allowed keys when one is
unknown. They are read from the models themselves, so a new field needs no second table.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Sequence
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr

from scalpbot.config.models import Settings

Path = tuple[str, ...]
Kind = Literal["model", "list", "dict", "secret", "scalar"]


def _unwrap_optional(annotation: Any) -> Any:
    """`X | None` → `X`; anything else unchanged."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def type_at(path: Sequence[str | int], root: type[BaseModel] = Settings) -> Any | None:
    """The annotation of the value at `path` (None if no such key exists in the schema)."""
    current: Any = root
    for part in path:
        current = _unwrap_optional(current)
        origin = get_origin(current)
        if _is_model(current):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif origin is dict:
            current = get_args(current)[1]
        elif origin is list:
            if not str(part).isdigit():
                return None
            current = get_args(current)[0]
        else:
            return None
    return _unwrap_optional(current)


def kind_of(annotation: Any) -> Kind:
    if _is_model(annotation):
        return "model"
    if annotation is SecretStr:
        return "secret"
    origin = get_origin(annotation)
    if origin is list:
        return "list"
    if origin is dict:
        return "dict"
    return "scalar"


def kind_at(path: Sequence[str | int]) -> Kind | None:
    annotation = type_at(path)
    return None if annotation is None else kind_of(annotation)


def is_secret(path: Sequence[str | int]) -> bool:
    """True if `path` is, or lies inside, a secret field."""
    return any(kind_at(path[:end]) == "secret" for end in range(1, len(path) + 1))


def model_keys(path: Sequence[str | int]) -> list[str] | None:
    """The keys allowed under `path` if it is a section or sub-section, else None."""
    annotation = type_at(path)
    if annotation is None or not _is_model(annotation):
        return None
    return list(annotation.model_fields)


def list_item_kind(path: Sequence[str | int]) -> Kind | None:
    """For a list at `path`, the kind of its items (a list of strategies holds models)."""
    annotation = type_at(path)
    if annotation is None or get_origin(annotation) is not list:
        return None
    return kind_of(_unwrap_optional(get_args(annotation)[0]))


def iter_fields(root: type[BaseModel] = Settings, prefix: Path = ()) -> Iterator[tuple[Path, Kind]]:
    """Every field of the models, depth first, in declaration order (sub-models included)."""
    for name, field in root.model_fields.items():
        path = (*prefix, name)
        annotation = _unwrap_optional(field.annotation)
        kind = kind_of(annotation)
        yield path, kind
        if kind == "model":
            yield from iter_fields(annotation, path)


def secret_paths() -> list[Path]:
    """Key paths of every secret setting, e.g. ("broker", "api_secret")."""
    return [path for path, kind in iter_fields() if kind == "secret"]


def env_name(path: Sequence[str]) -> str:
    """The environment-variable (and secrets.env) name of a setting: SCALPBOT__BROKER__API_KEY."""
    return "SCALPBOT__" + "__".join(part.upper() for part in path)
