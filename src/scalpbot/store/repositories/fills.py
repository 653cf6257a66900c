"""Fills: the executions P&L is computed from. A broker may report the same fill twice (a
reconnect replays the day's trades), so adding is idempotent by fill id."""

from __future__ import annotations

from sqlalchemy import select

from scalpbot.domain import Fill
from scalpbot.store.convert import fill_columns, fill_of
from scalpbot.store.models import FillRow
from scalpbot.store.repositories.base import Repository, require_int, require_text


class FillRepository(Repository):
    def add(self, fill: Fill, session_id: int) -> bool:
        """Store `fill`; False (and nothing written) if a fill with its id is already stored."""
        fill_id = require_text(fill.fill_id, "fill id", 64)
        session_id = require_int(session_id, "session id")
        columns = fill_columns(fill)
        with self._write(f"adding fill {fill_id!r}") as db:
            exists = db.scalar(select(FillRow.id).where(FillRow.fill_id == fill_id))
            if exists is not None:
                return False
            db.add(FillRow(session_id=session_id, **columns))
            return True

    def for_session(self, session_id: int) -> list[Fill]:
        """The session's fills by time, and in arrival order within the same time."""
        query = (
            select(FillRow)
            .where(FillRow.session_id == require_int(session_id, "session id"))
            .order_by(FillRow.ts, FillRow.id)
        )
        with self._read(f"reading the fills of session {session_id}") as db:
            return [fill_of(row) for row in db.scalars(query)]
