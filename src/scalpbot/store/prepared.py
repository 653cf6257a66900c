"""Statements compiled once per database and run straight on the driver's cursor.

An order's journal write sits between a tick and the order request leaving for the broker. Run
through SQLAlchemy's `Connection.execute`, each of its three statements costs several times
what SQLite takes to do the work (the compiled-cache look-up, event dispatch, parameter and
result set-up), and the whole write cost 0.25 ms on a quiet machine and about 1 ms inside a
live session. A `PreparedStatement` does that work once, when it is built: the SQL text for the
database's dialect, the order of its positional parameters and each parameter's conversion
(`Money` to text on SQLite, dates, UTC timestamps). What is left per call is applying those
conversions and one `cursor.execute` on the driver's cursor.

`driver_transaction` likewise opens a write transaction on a pooled driver connection without
an ORM session, whose set-up and commit cost as much again as the statements. Both are kept for
the order path only: everything else goes through SQLAlchemy as usual. The
statement is still written as SQLAlchemy Core and compiled by SQLAlchemy, so the SQL and the
conversions are exactly those of the ORM models; a statement that would need a Python-side
default computed at execution (which only `Connection.execute` does) is refused when built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from scalpbot.store.errors import StoreError

Processor = Callable[[Any], Any]


class PreparedStatement:
    """One Core statement, compiled for `dialect` with the given parameter names.

    insert_order = PreparedStatement(insert(orders), dialect, keys=[...every column...])
    with driver_transaction(engine, "saving order L1") as write:
        insert_order.execute(write.cursor, {"client_order_id": "L1", ...})
    """

    def __init__(
        self, statement: ClauseElement, dialect: Dialect, keys: Sequence[str] | None = None
    ) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
        if not isinstance(compiled, SQLCompiler):
            raise TypeError(f"not a SQL statement: {statement!r}")
        if compiled.insert_prefetch or compiled.update_prefetch:
            missing = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
            raise ValueError(
                f"columns {missing} have Python-side defaults: pass them as parameters"
            )
        self.sql = str(compiled)
        self.names: tuple[str, ...] | None = (
            tuple(compiled.positiontup) if compiled.positiontup is not None else None
        )
        self.processors: dict[str, Processor] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """`values` converted for the driver, in its parameter style (a KeyError names a
        parameter the statement needs and `values` lacks)."""
        try:
            return self._convert(values)
        except (TypeError, ValueError, ArithmeticError) as exc:
            bad = next(
                (name for name in self.processors if _refuses(self.processors[name], values, name)),
                "?",
            )
            raise StoreError(f"column {bad}: {exc}") from exc

    def _convert(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        processors = self.processors
        if self.names is not None:
            return [
                processors[name](values[name]) if name in processors else values[name]
                for name in self.names
            ]
        converted = dict(values)
        for name, processor in processors.items():
            if name in converted:
                converted[name] = processor(converted[name])
        return converted

    def execute(self, cursor: Any, values: Mapping[str, Any]) -> Any:
        cursor.execute(self.sql, self.parameters(values))
        return cursor

    def execute_many(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        cursor.executemany(self.sql, [self.parameters(row) for row in rows])


def _refuses(processor: Processor, values: Mapping[str, Any], name: str) -> bool:
    try:
        processor(values.get(name))
    except (TypeError, ValueError, ArithmeticError):
        return True
    return False


@dataclass(frozen=True)
class DriverWrite:
    """One open write transaction on a driver connection: its dialect and a cursor."""

    dialect: Dialect
    cursor: Any


#: Opens a `DriverWrite`; the text says what it does, for the error message if it fails.
DriverTransaction = Callable[[str], AbstractContextManager[DriverWrite]]


@contextmanager
def driver_transaction(engine: Engine, what: str) -> Iterator[DriverWrite]:
    """One write transaction on a pooled driver connection, without an ORM session.

    It commits when the block ends and rolls back if it raises; a driver error comes out as a
    `StoreError` saying what was being done. On SQLite it begins with BEGIN IMMEDIATE, as
    every other write does (the store puts the driver in autocommit mode, see `engine`);
    psycopg opens its transaction by itself at the first statement.
    """
    dialect = engine.dialect
    errors: type[Exception] = dialect.loaded_dbapi.Error
    try:
        connection = engine.raw_connection()
    except SQLAlchemyError as exc:
        raise StoreError(f"{what} failed: {_first_line(exc)}") from exc
    cursor = None
    try:
        cursor = connection.cursor()
        if dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        yield DriverWrite(dialect, cursor)
        connection.commit()
    except errors as exc:
        _rollback(connection)
        raise StoreError(f"{what} failed: {_first_line(exc)}") from exc
    except BaseException:
        _rollback(connection)
        raise
    finally:
        if cursor is not None:
            cursor.close()
        connection.close()  # back to the pool


def _rollback(connection: Any) -> None:
    with suppress(Exception):  # the connection may be gone; the pool then discards it
        connection.rollback()


def _first_line(exc: Exception) -> str:
    original = getattr(exc, "orig", None) or exc
    return " ".join(str(original).split()) or type(original).__name__
