"""What repositories return: plain, frozen snapshots of rows.

Records are built inside the transaction that read them, so they stay valid after it closed
(an ORM object would not) and callers cannot change the database by assigning to them. Orders
and fills come back as domain objects instead (`Order`, `Fill`), because the engine works on
those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from scalpbot.domain import Instrument, Position, Product


@dataclass(frozen=True, slots=True)
class TradingSessionRecord:
    """One paper or live session. `finished_at is None` while it may be resumed."""

    id: int
    mode: str
    broker: str
    strategies: list[dict[str, Any]]
    config: dict[str, Any]
    data_source: str | None
    resume_key: str | None
    status: str
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    last_bar_index: int | None
    last_bar_ts: int | None
    summary: dict[str, Any] | None

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


@dataclass(frozen=True, slots=True)
class PositionSnapshotRecord:
    """One position of a session as it stood at `ts` (epoch ns)."""

    session_id: int
    ts: int
    instrument: Instrument
    product: Product
    quantity: int
    cost_basis: Decimal
    realised_pnl: Decimal
    charges: Decimal
    last_price: Decimal | None
    opened_ts: int

    def to_position(self) -> Position:
        """A live `Position` to go on from (what a restarted session reloads)."""
        return Position(
            instrument=self.instrument,
            product=self.product,
            quantity=self.quantity,
            cost_basis=self.cost_basis,
            realised_pnl=self.realised_pnl,
            charges=self.charges,
            last_price=self.last_price,
            opened_ts=self.opened_ts,
        )


@dataclass(frozen=True, slots=True)
class BacktestRunRecord:
    id: int
    strategy: str
    params: dict[str, Any]
    data_source: str
    metrics: dict[str, Any]
    trades: list[dict[str, Any]]
    summary: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StrategyRecord:
    id: int
    name: str
    class_spec: str
    params: dict[str, Any]
    symbols: list[str]
    timeframe: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class BrokerAccountRecord:
    """A known broker login; never holds a secret (there is no column for one)."""

    id: int
    broker: str
    user_id: str
    name: str
    meta: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    ts: int
    kind: str
    message: str
    data: dict[str, Any] | None
    session_id: int | None
    created_at: datetime
