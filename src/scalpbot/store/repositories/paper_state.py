"""The paper exchange's book per session (`PaperExchange.to_state()`), so a paper session that
is stopped or crashes goes on with the same resting orders after a restart."""

from __future__ import annotations

from typing import Any

from scalpbot.store.errors import StoreError
from scalpbot.store.models import PaperStateRow
from scalpbot.store.repositories.base import Repository, require_int
from scalpbot.store.types import json_value


class PaperStateRepository(Repository):
    def save(self, session_id: int, state: dict[str, Any]) -> None:
        """Replace the session's stored state with `state` (one transaction)."""
        session_id = require_int(session_id, "session id")
        if not isinstance(state, dict):
            raise StoreError(f"paper exchange state must be an object, got {type(state).__name__}")
        stored = json_value(state, f"paper exchange state of session {session_id}")
        with self._write(f"saving the paper exchange of session {session_id}") as db:
            row = db.get(PaperStateRow, session_id)
            if row is None:
                db.add(PaperStateRow(session_id=session_id, state=stored))
            else:
                row.state = stored

    def load(self, session_id: int) -> dict[str, Any] | None:
        """The state last saved for the session, or None if there is none."""
        with self._read(f"loading the paper exchange of session {session_id}") as db:
            row = db.get(PaperStateRow, require_int(session_id, "session id"))
            return None if row is None else row.state
