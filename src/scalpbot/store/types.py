"""Column types that keep money exact and time unambiguous on every backend.

* `Money` stores a `Decimal` exactly: PostgreSQL's unconstrained NUMERIC keeps every digit (an
  average price such as 100.3333333333333333333333333 included, which a fixed NUMERIC(20, 6)
  would round), and SQLite gets the decimal's text, because SQLite's own NUMERIC affinity turns
  values into 8-byte floats. Floats are refused when binding: a float is already inexact.
* `UtcDateTime` is an aware UTC `datetime` on the way in and out. SQLite has no time zones and
  returns naive values, PostgreSQL returns the session's zone; both come back as UTC here.
* `ID` is a 64-bit identity on PostgreSQL and SQLite's INTEGER rowid (the only type SQLite
  auto-increments).
* `json_value` checks that a value is JSON and converts it to what will be read back, so a
  caller sees a clear error instead of a driver's, and both backends return the same thing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer, Numeric, Text
from sqlalchemy.types import TypeDecorator, TypeEngine

from scalpbot.store.errors import StoreError

#: Primary keys: BIGINT on PostgreSQL, INTEGER (the rowid, auto-incremented) on SQLite.
ID = BigInteger().with_variant(Integer(), "sqlite")


class Money(TypeDecorator[Decimal]):
    """An exact `Decimal` (NUMERIC on PostgreSQL, decimal text elsewhere)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(
                f"money must be a Decimal (or int), got {type(value).__name__} {value!r}: "
                "a float is already inexact"
            )
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"money must be a finite number, got {number}")
        return number if dialect.name == "postgresql" else str(number)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise StoreError(f"a money column holds {value!r}, which is not a number") from None


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC and always read back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise TypeError(f"expected an aware datetime, got {value!r}")
        utc = value.astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise StoreError(f"a timestamp column holds {value!r}, which is not a datetime")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_now() -> datetime:
    """Wall-clock time for the human-facing `created_at`/`updated_at` columns.

    The engine never reads the wall clock; the store may, because these columns record when a
    row was written, not when something happened in (possibly simulated) market time.
    """
    return datetime.now(UTC)


def _encode_extra(value: object) -> object:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number")
        return str(value)
    raise TypeError(f"a {type(value).__name__} ({value!r}) is not JSON")


def json_value(value: Any, what: str) -> Any:
    """`value` as it will be read back from a JSON column, or a `StoreError` naming `what`.

    Decimals become their exact text (as in the paper exchange's state); tuples become lists;
    NaN and infinity are refused, because PostgreSQL's JSON rejects them and SQLite would keep
    them, and the two backends must agree.
    """
    try:
        text = json.dumps(value, default=_encode_extra, allow_nan=False, ensure_ascii=False)
    except TypeError as exc:
        raise StoreError(f"{what} cannot be stored as JSON: {exc}") from None
    except ValueError as exc:
        reason = str(exc)
        if "Out of range float" in reason:
            reason = "NaN and infinity are not JSON numbers (use None for an undefined figure)"
        raise StoreError(f"{what} cannot be stored as JSON: {reason}") from None
    return json.loads(text)
