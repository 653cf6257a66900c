"""Backtest runs, kept so the dashboard can list them and two runs can be compared later."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import select

from scalpbot.store.errors import StoreError
from scalpbot.store.models import BacktestRunRow
from scalpbot.store.records import BacktestRunRecord
from scalpbot.store.repositories.base import Repository, require_int, require_limit, require_text
from scalpbot.store.types import json_value


def _record(row: BacktestRunRow) -> BacktestRunRecord:
    return BacktestRunRecord(
        id=row.id,
        strategy=row.strategy,
        params=row.params,
        data_source=row.data_source,
        metrics=row.metrics,
        trades=row.trades,
        summary=row.summary,
        created_at=row.created_at,
    )


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StoreError(f"backtest {what} must be an object, got {type(value).__name__}")
    stored: dict[str, Any] = json_value(value, f"backtest {what}")
    return stored


class BacktestRepository(Repository):
    def add(
        self,
        strategy: str,
        params: dict[str, Any],
        data_source: str,
        metrics: dict[str, Any],
        trades_json: builtins.list[dict[str, Any]],
        summary_json: dict[str, Any],
    ) -> int:
        """Store one run; `trades_json` and `summary_json` are as `BacktestResult.to_json_dict`
        gives them (the trades list and the whole dict). Returns the run's id."""
        if not isinstance(trades_json, builtins.list):
            raise StoreError(f"backtest trades must be a list, got {type(trades_json).__name__}")
        row = BacktestRunRow(
            strategy=require_text(strategy, "backtest strategy", 512),
            params=_object(params, "params"),
            data_source=require_text(data_source, "backtest data source", 10_000),
            metrics=_object(metrics, "metrics"),
            trades=json_value(trades_json, "backtest trades"),
            summary=_object(summary_json, "summary"),
        )
        with self._write(f"storing a backtest of {strategy}") as db:
            db.add(row)
            db.flush()
            return row.id

    def get(self, run_id: int) -> BacktestRunRecord | None:
        with self._read(f"reading backtest run {run_id}") as db:
            row = db.get(BacktestRunRow, require_int(run_id, "backtest run id"))
            return None if row is None else _record(row)

    def list(self, limit: int = 50) -> builtins.list[BacktestRunRecord]:
        """The newest `limit` runs, newest first."""
        query = (
            select(BacktestRunRow).order_by(BacktestRunRow.id.desc()).limit(require_limit(limit))
        )
        with self._read("listing backtest runs") as db:
            return [_record(row) for row in db.scalars(query)]
