"""The audit log: one line per thing worth knowing later (a session started, an order was
rejected, the kill switch was pulled), with market time and optional details."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from scalpbot.store.errors import StoreError
from scalpbot.store.models import EventRow
from scalpbot.store.records import EventRecord
from scalpbot.store.repositories.base import Repository, require_int, require_limit, require_text
from scalpbot.store.types import json_value


def _record(row: EventRow) -> EventRecord:
    return EventRecord(
        id=row.id,
        ts=row.ts,
        kind=row.kind,
        message=row.message,
        data=row.data,
        session_id=row.session_id,
        created_at=row.created_at,
    )


class EventRepository(Repository):
    def add(
        self,
        kind: str,
        message: str,
        data: dict[str, Any] | None = None,
        session_id: int | None = None,
        ts: int = 0,
    ) -> int:
        """Append one event (`ts` in epoch ns, market time); returns its id."""
        if data is not None and not isinstance(data, dict):
            raise StoreError(f"event data must be an object or None, got {data!r}")
        if not isinstance(message, str):
            raise StoreError(f"event message must be a string, got {message!r}")
        row = EventRow(
            kind=require_text(kind, "event kind", 64),
            message=message,
            data=None if data is None else json_value(data, f"data of event {kind!r}"),
            session_id=None if session_id is None else require_int(session_id, "session id"),
            ts=require_int(ts, "event ts"),
        )
        with self._write(f"logging event {kind!r}") as db:
            db.add(row)
            db.flush()
            return row.id

    def recent(self, limit: int = 100, kind: str | None = None) -> list[EventRecord]:
        """The newest `limit` events (of one `kind` if given), newest first."""
        query = select(EventRow)
        if kind is not None:
            query = query.where(EventRow.kind == kind)
        query = query.order_by(EventRow.ts.desc(), EventRow.id.desc()).limit(require_limit(limit))
        with self._read("reading recent events") as db:
            return [_record(row) for row in db.scalars(query)]

    def last_ts(self, session_id: int) -> int:
        """The market time of the session's latest logged event (-1 if none): a resumed
        session re-deriving its past logs nothing up to there a second time."""
        query = select(func.max(EventRow.ts)).where(
            EventRow.session_id == require_int(session_id, "session id")
        )
        with self._read(f"reading the last event time of session {session_id}") as db:
            last = db.scalar(query)
        return -1 if last is None else int(last)
