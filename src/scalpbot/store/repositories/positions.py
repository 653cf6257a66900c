"""Position snapshots: the portfolio as it stood at a moment, so the dashboard can show it and
a restarted session can compare it with the broker's positions."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from scalpbot.domain import Position, Product
from scalpbot.store.convert import instrument_columns, instrument_of
from scalpbot.store.errors import StoreError
from scalpbot.store.models import PositionSnapshotRow, SnapshotPositionRow
from scalpbot.store.records import PositionSnapshotRecord
from scalpbot.store.repositories.base import Repository, require_int


class PositionRepository(Repository):
    def snapshot(self, session_id: int, ts: int, positions: Iterable[Position]) -> int:
        """Store the session's positions at `ts` (epoch ns) as one snapshot; returns its id.

        An empty `positions` is a snapshot too: it records that everything was flat.
        """
        session_id = require_int(session_id, "session id")
        ts = require_int(ts, "snapshot ts")
        rows = [
            SnapshotPositionRow(
                **instrument_columns(p.instrument),
                product=p.product.value,
                quantity=p.quantity,
                cost_basis=p.cost_basis,
                realised_pnl=p.realised_pnl,
                charges=p.charges,
                last_price=p.last_price,
                opened_ts=p.opened_ts,
            )
            for p in positions
        ]
        with self._write(f"snapshotting the positions of session {session_id}") as db:
            header = PositionSnapshotRow(session_id=session_id, ts=ts)
            db.add(header)
            db.flush()
            for row in rows:
                row.snapshot_id = header.id
            db.add_all(rows)
            return header.id

    def latest(self, session_id: int) -> list[PositionSnapshotRecord]:
        """The positions of the session's newest snapshot (empty if none, or all flat)."""
        session_id = require_int(session_id, "session id")
        with self._read(f"reading the positions of session {session_id}") as db:
            header = db.scalars(
                select(PositionSnapshotRow)
                .where(PositionSnapshotRow.session_id == session_id)
                .order_by(PositionSnapshotRow.ts.desc(), PositionSnapshotRow.id.desc())
                .limit(1)
            ).first()
            if header is None:
                return []
            rows = db.scalars(
                select(SnapshotPositionRow)
                .where(SnapshotPositionRow.snapshot_id == header.id)
                .order_by(SnapshotPositionRow.id)
            )
            try:
                return [
                    PositionSnapshotRecord(
                        session_id=session_id,
                        ts=header.ts,
                        instrument=instrument_of(row),
                        product=Product(row.product),
                        quantity=row.quantity,
                        cost_basis=row.cost_basis,
                        realised_pnl=row.realised_pnl,
                        charges=row.charges,
                        last_price=row.last_price,
                        opened_ts=row.opened_ts,
                    )
                    for row in rows
                ]
            except ValueError as exc:
                raise StoreError(
                    f"stored position snapshot {header.id} is damaged: {exc}"
                ) from None
