"""Trading sessions: created at start, advanced bar by bar, finished once; a restart looks up
the latest unfinished session with the same resume key and carries on with it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalpbot.domain import Mode, parse_enum
from scalpbot.store.errors import RecordNotFound, StoreError
from scalpbot.store.models import TradingSessionRow
from scalpbot.store.records import TradingSessionRecord
from scalpbot.store.repositories.base import Repository, require_int, require_text
from scalpbot.store.types import json_value, utc_now

RUNNING = "running"


def _record(row: TradingSessionRow) -> TradingSessionRecord:
    return TradingSessionRecord(
        id=row.id,
        mode=row.mode,
        broker=row.broker,
        strategies=row.strategies,
        config=row.config,
        data_source=row.data_source,
        resume_key=row.resume_key,
        status=row.status,
        started_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        last_bar_index=row.last_bar_index,
        last_bar_ts=row.last_bar_ts,
        summary=row.summary,
    )


def _row(db: Session, session_id: int) -> TradingSessionRow:
    row = db.get(TradingSessionRow, require_int(session_id, "session id"))
    if row is None:
        raise RecordNotFound(f"no trading session with id {session_id}")
    return row


class SessionRepository(Repository):
    def create(
        self,
        mode: Mode | str,
        broker: str,
        strategies: list[dict[str, Any]],
        config: dict[str, Any],
        data_source: str | None = None,
        resume_key: str | None = None,
    ) -> int:
        """Record a session that starts now (status "running"); returns its id."""
        try:
            mode_value = parse_enum(Mode, mode).value
        except ValueError as exc:
            raise StoreError(f"session mode: {exc}") from None
        if not isinstance(strategies, list):
            raise StoreError(f"session strategies must be a list, got {strategies!r}")
        if not isinstance(config, dict):
            raise StoreError(f"session config must be an object, got {config!r}")
        row = TradingSessionRow(
            mode=mode_value,
            broker=require_text(broker, "session broker", 32),
            strategies=json_value(strategies, "session strategies"),
            config=json_value(config, "session config"),
            data_source=data_source,
            resume_key=None if resume_key is None else require_text(resume_key, "resume key", 256),
            status=RUNNING,
        )
        with self._write("creating a trading session") as db:
            db.add(row)
            db.flush()
            return row.id

    def get(self, session_id: int) -> TradingSessionRecord | None:
        with self._read(f"reading trading session {session_id}") as db:
            row = db.get(TradingSessionRow, require_int(session_id, "session id"))
            return None if row is None else _record(row)

    def find_resumable(self, resume_key: str) -> TradingSessionRecord | None:
        """The latest unfinished session started with `resume_key`, if any."""
        query = (
            select(TradingSessionRow)
            .where(
                TradingSessionRow.resume_key == require_text(resume_key, "resume key", 256),
                TradingSessionRow.finished_at.is_(None),
            )
            .order_by(TradingSessionRow.id.desc())
            .limit(1)
        )
        with self._read(f"looking up a session to resume ({resume_key})") as db:
            row = db.scalars(query).first()
            return None if row is None else _record(row)

    def update_progress(self, session_id: int, *, last_bar_index: int, last_bar_ts: int) -> None:
        """Remember the last bar the session has fully processed (where a resume starts)."""
        index = require_int(last_bar_index, "last bar index", minimum=0)
        ts = require_int(last_bar_ts, "last bar ts")
        with self._write(f"updating progress of session {session_id}") as db:
            row = _row(db, session_id)
            row.last_bar_index = index
            row.last_bar_ts = ts

    def set_status(self, session_id: int, status: str) -> None:
        """Change the status (e.g. "paused") without finishing the session."""
        text = require_text(status, "session status", 32)
        with self._write(f"setting the status of session {session_id}") as db:
            _row(db, session_id).status = text

    def finish(self, session_id: int, status: str, summary: dict[str, Any]) -> None:
        """Close the session with its final status and summary; it is no longer resumable.

        Finishing twice updates status and summary but keeps the first finish time.
        """
        text = require_text(status, "session status", 32)
        if not isinstance(summary, dict):
            raise StoreError(f"session summary must be an object, got {summary!r}")
        stored = json_value(summary, "session summary")
        with self._write(f"finishing session {session_id}") as db:
            row = _row(db, session_id)
            row.status = text
            row.summary = stored
            if row.finished_at is None:
                row.finished_at = utc_now()
