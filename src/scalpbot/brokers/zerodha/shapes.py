"""The shapes Kite's replies must have before any field is read.

Kite's `data` is an object for some calls and a list of objects for others; a reply of another
shape (a proxy's page, an API change, a truncated body that still parsed) must be a `DataError`
naming the call — never an AttributeError deep in a mapper, and never an empty answer: an order
book or positions reply that silently read as "nothing" would tell a restarting session that it
is flat when it is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scalpbot.domain import DataError


def expect_object(data: Any, what: str) -> Mapping[str, Any]:
    """`data` as an object, or a `DataError` saying what came instead."""
    if not isinstance(data, Mapping):
        raise DataError(f"{what}: Kite replied with {_kind(data)} where an object was expected")
    return data


def expect_rows(data: Any, what: str) -> list[Mapping[str, Any]]:
    """`data` as a list of objects, or a `DataError` naming the first thing that is not one."""
    if not isinstance(data, list):
        raise DataError(f"{what}: Kite replied with {_kind(data)} where a list was expected")
    for index, row in enumerate(data):
        if not isinstance(row, Mapping):
            raise DataError(f"{what}: row {index + 1} is {_kind(row)}, not an object")
    return data


def expect_member_rows(data: Any, key: str, what: str) -> list[Mapping[str, Any]]:
    """The list of objects under `key` of the object `data` (Kite's positions: "net", "day")."""
    found = expect_object(data, what)
    if key not in found:
        raise DataError(f"{what}: Kite's reply has no {key!r} list")
    return expect_rows(found[key], f"{what} ({key})")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"the {type(value).__name__} {str(value)[:40]!r}"
