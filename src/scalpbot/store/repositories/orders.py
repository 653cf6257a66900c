"""Orders, journal first: an order is saved at PENDING_SUBMIT before it is sent, then saved
again after every change. A save updates the order's row and appends only the status changes
the database does not have yet, so saving twice writes nothing new, and a restart rebuilds each
order exactly, history included."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scalpbot.domain import Order, OrderStatus, StatusChange
from scalpbot.store.convert import history_row, order_columns, order_of
from scalpbot.store.errors import RecordNotFound, StoreError
from scalpbot.store.models import OrderRow, OrderStatusRow, TradingSessionRow
from scalpbot.store.repositories.base import Repository, require_int, require_text

WORKING = tuple(status.value for status in OrderStatus if status.is_working)


def _same_change(stored: OrderStatusRow, change: StatusChange) -> bool:
    return (stored.ts, stored.status, stored.reason) == (
        change.ts,
        OrderStatus(change.status).value,
        change.reason,
    )


def _check_history(order: Order, stored: list[OrderStatusRow]) -> None:
    """The stored history must be the start of the order's: anything else is another order
    under the same id, or a rewritten past, and must not be papered over."""
    if len(stored) > len(order.history):
        raise StoreError(
            f"order {order.client_order_id!r} has {len(order.history)} status changes but "
            f"{len(stored)} are stored: it is not the order saved under that id"
        )
    for seq, row in enumerate(stored):
        if not _same_change(row, order.history[seq]):
            raise StoreError(
                f"order {order.client_order_id!r}: status change #{seq + 1} differs from the "
                f"stored one ({row.status} at {row.ts}): history cannot be rewritten"
            )


def _orders_with_history(db: Session, rows: list[OrderRow]) -> list[Order]:
    if not rows:
        return []
    history: dict[int, list[OrderStatusRow]] = defaultdict(list)
    ids = [row.id for row in rows]
    for change in db.scalars(
        select(OrderStatusRow).where(OrderStatusRow.order_id.in_(ids)).order_by(OrderStatusRow.seq)
    ):
        history[change.order_id].append(change)
    return [order_of(row, history[row.id]) for row in rows]


class OrderRepository(Repository):
    def save(self, order: Order, session_id: int) -> None:
        """Insert or update `order` (by client order id) with its new status changes."""
        cid = require_text(order.client_order_id, "client order id", 64)
        session_id = require_int(session_id, "session id")
        columns = order_columns(order)
        with self._write(f"saving order {cid!r}") as db:
            row = db.scalars(select(OrderRow).where(OrderRow.client_order_id == cid)).first()
            if row is None:
                if db.get(TradingSessionRow, session_id) is None:
                    raise RecordNotFound(f"order {cid!r}: no trading session with id {session_id}")
                row = OrderRow(session_id=session_id, **columns)
                db.add(row)
                db.flush()
                stored: list[OrderStatusRow] = []
            else:
                if row.session_id != session_id:
                    raise StoreError(
                        f"order {cid!r} belongs to session {row.session_id}, not {session_id}"
                    )
                stored = list(
                    db.scalars(
                        select(OrderStatusRow)
                        .where(OrderStatusRow.order_id == row.id)
                        .order_by(OrderStatusRow.seq)
                    )
                )
                _check_history(order, stored)
                for name, value in columns.items():
                    setattr(row, name, value)
            for seq in range(len(stored), len(order.history)):
                db.add(history_row(row.id, seq, order.history[seq]))

    def get(self, client_order_id: str) -> Order | None:
        with self._read(f"reading order {client_order_id!r}") as db:
            row = db.scalars(
                select(OrderRow).where(OrderRow.client_order_id == client_order_id)
            ).first()
            return None if row is None else _orders_with_history(db, [row])[0]

    def for_session(self, session_id: int) -> list[Order]:
        """Every order of the session, in the order they were created."""
        query = (
            select(OrderRow)
            .where(OrderRow.session_id == require_int(session_id, "session id"))
            .order_by(OrderRow.created_ts, OrderRow.id)
        )
        with self._read(f"reading the orders of session {session_id}") as db:
            return _orders_with_history(db, list(db.scalars(query)))

    def working(self, session_id: int) -> list[Order]:
        """Orders that may still fill (UNKNOWN included): what a restart reconciles."""
        query = (
            select(OrderRow)
            .where(
                OrderRow.session_id == require_int(session_id, "session id"),
                OrderRow.status.in_(WORKING),
            )
            .order_by(OrderRow.created_ts, OrderRow.id)
        )
        with self._read(f"reading the working orders of session {session_id}") as db:
            return _orders_with_history(db, list(db.scalars(query)))

    def count(self, session_id: int) -> int:
        query = select(func.count(OrderRow.id)).where(
            OrderRow.session_id == require_int(session_id, "session id")
        )
        with self._read(f"counting the orders of session {session_id}") as db:
            return int(db.scalar(query) or 0)
