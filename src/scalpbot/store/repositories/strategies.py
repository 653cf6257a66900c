"""Configured strategies (the dashboard's list): which class runs with which parameters on
which symbols and timeframe, and whether it is running."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalpbot.store.errors import RecordNotFound, StoreError
from scalpbot.store.models import StrategyRow
from scalpbot.store.records import StrategyRecord
from scalpbot.store.repositories.base import Repository, require_int, require_text
from scalpbot.store.types import json_value

EDITABLE = ("name", "class_spec", "params", "symbols", "timeframe", "status")


def _record(row: StrategyRow) -> StrategyRecord:
    return StrategyRecord(
        id=row.id,
        name=row.name,
        class_spec=row.class_spec,
        params=row.params,
        symbols=row.symbols,
        timeframe=row.timeframe,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _checked(field: str, value: Any) -> Any:
    """One editable field's value, checked as `create` checks it."""
    if field == "name":
        return require_text(value, "strategy name", 128)
    if field == "class_spec":
        return require_text(value, "strategy class", 512)
    if field == "timeframe":
        return require_text(value, "strategy timeframe", 16)
    if field == "status":
        return require_text(value, "strategy status", 32)
    if field == "params":
        if not isinstance(value, dict):
            raise StoreError(f"strategy params must be an object, got {value!r}")
        return json_value(value, "strategy params")
    if field == "symbols":
        if not isinstance(value, list | tuple) or not all(isinstance(s, str) for s in value):
            raise StoreError(f"strategy symbols must be a list of strings, got {value!r}")
        return list(value)
    raise StoreError(f"a strategy has no field {field!r}; editable: {', '.join(EDITABLE)}")


def _unique_name(db: Session, name: str, own_id: int | None) -> None:
    other = db.scalar(select(StrategyRow.id).where(StrategyRow.name == name))
    if other is not None and other != own_id:
        raise StoreError(f"a strategy named {name!r} already exists (id {other})")


def _row(db: Session, strategy_id: int) -> StrategyRow:
    row = db.get(StrategyRow, require_int(strategy_id, "strategy id"))
    if row is None:
        raise RecordNotFound(f"no strategy with id {strategy_id}")
    return row


class StrategyRepository(Repository):
    def create(
        self,
        name: str,
        class_spec: str,
        params: dict[str, Any],
        symbols: builtins.list[str],
        timeframe: str,
        status: str = "stopped",
    ) -> int:
        fields = {
            "name": name,
            "class_spec": class_spec,
            "params": params,
            "symbols": symbols,
            "timeframe": timeframe,
            "status": status,
        }
        row = StrategyRow(**{key: _checked(key, value) for key, value in fields.items()})
        with self._write(f"creating strategy {name!r}") as db:
            _unique_name(db, row.name, None)
            db.add(row)
            db.flush()
            return row.id

    def get(self, strategy_id: int) -> StrategyRecord | None:
        with self._read(f"reading strategy {strategy_id}") as db:
            row = db.get(StrategyRow, require_int(strategy_id, "strategy id"))
            return None if row is None else _record(row)

    def list(self) -> builtins.list[StrategyRecord]:
        with self._read("listing strategies") as db:
            return [
                _record(row) for row in db.scalars(select(StrategyRow).order_by(StrategyRow.id))
            ]

    def update(self, strategy_id: int, **fields: Any) -> StrategyRecord:
        """Change some of name, class_spec, params, symbols, timeframe, status; returns the
        strategy as stored. An unknown field or bad value changes nothing."""
        checked = {key: _checked(key, value) for key, value in fields.items()}
        with self._write(f"updating strategy {strategy_id}") as db:
            row = _row(db, strategy_id)
            if "name" in checked:
                _unique_name(db, checked["name"], row.id)
            for key, value in checked.items():
                setattr(row, key, value)
            db.flush()
            return _record(row)

    def delete(self, strategy_id: int) -> None:
        with self._write(f"deleting strategy {strategy_id}") as db:
            db.delete(_row(db, strategy_id))
