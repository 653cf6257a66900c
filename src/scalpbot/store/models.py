"""The tables of scalpbot's database, as SQLAlchemy 2 declarative models.

These classes never leave `scalpbot.store`: repositories turn rows into records or domain
objects inside the transaction, so no caller holds an ORM object of a closed session.

Conventions: market times are `BigInteger` epoch nanoseconds (the domain's own representation,
so an order's history sorts exactly as the engine saw it); `created_at`/`updated_at` are UTC
wall-clock times for people; money is `Money` (exact); enums are stored as their string values
(no database ENUM types, so adding a member needs no migration). A change here needs a new
migration under `migrations/versions/`: a test compares these models with the migrated schema.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from scalpbot.store.types import ID, Money, UtcDateTime, utc_now

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, onupdate=utc_now)


class InstrumentColumns:
    """An `Instrument` in full, copied onto each row that names one.

    Copied rather than referenced, because tick and lot sizes change over time and an order or
    fill must keep the contract it was made for.
    """

    exchange: Mapped[str] = mapped_column(String(8))
    symbol: Mapped[str] = mapped_column(String(64))
    instrument_type: Mapped[str] = mapped_column(String(8))
    tick_size: Mapped[Decimal] = mapped_column(Money())
    lot_size: Mapped[int] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(String(32))
    expiry: Mapped[date | None] = mapped_column(Date)
    strike: Mapped[Decimal | None] = mapped_column(Money())
    instrument_name: Mapped[str] = mapped_column(String(128))


class StrategyRow(Timestamps, Base):
    """A configured strategy: which class, with which parameters, on what."""

    __tablename__ = "strategies"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    class_spec: Mapped[str] = mapped_column(String(512))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    symbols: Mapped[list[str]] = mapped_column(JSON)
    timeframe: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))


class TradingSessionRow(Timestamps, Base):
    """One paper or live run; `finished_at` is NULL while it may still be resumed."""

    __tablename__ = "trading_sessions"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    broker: Mapped[str] = mapped_column(String(32))
    strategies: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_source: Mapped[str | None] = mapped_column(Text)
    resume_key: Mapped[str | None] = mapped_column(String(256), index=True)
    status: Mapped[str] = mapped_column(String(32))
    last_bar_index: Mapped[int | None] = mapped_column(BigInteger)
    last_bar_ts: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OrderRow(InstrumentColumns, Timestamps, Base):
    """An order's latest state; its path there is in `order_status_history`."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_session_status", "session_id", "status"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    client_order_id: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("trading_sessions.id", ondelete="CASCADE"))
    broker_order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    side: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[int] = mapped_column(BigInteger)
    order_type: Mapped[str] = mapped_column(String(8))
    product: Mapped[str] = mapped_column(String(8))
    validity: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal | None] = mapped_column(Money())
    trigger_price: Mapped[Decimal | None] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(24))
    filled_quantity: Mapped[int] = mapped_column(BigInteger)
    average_price: Mapped[Decimal] = mapped_column(Money())
    strategy_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(String(64))
    created_ts: Mapped[int] = mapped_column(BigInteger)
    updated_ts: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    resting_status: Mapped[str | None] = mapped_column(String(24))


class OrderStatusRow(Base):
    """One `StatusChange` of an order; `seq` is its place in `Order.history` (from 0)."""

    __tablename__ = "order_status_history"
    __table_args__ = (UniqueConstraint("order_id", "seq"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    ts: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)


class FillRow(InstrumentColumns, Base):
    """One execution. `client_order_id` is not a foreign key: a broker may report fills of an
    order placed outside scalpbot, and those must be kept too."""

    __tablename__ = "fills"
    __table_args__ = (Index("ix_fills_session_ts", "session_id", "ts"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    fill_id: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("trading_sessions.id", ondelete="CASCADE"))
    client_order_id: Mapped[str] = mapped_column(String(64), index=True)
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[Decimal] = mapped_column(Money())
    ts: Mapped[int] = mapped_column(BigInteger)
    product: Mapped[str] = mapped_column(String(8))
    charges: Mapped[Decimal] = mapped_column(Money())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class PositionSnapshotRow(Base):
    """The positions of a session at one moment; an empty snapshot means all flat."""

    __tablename__ = "position_snapshots"
    __table_args__ = (Index("ix_position_snapshots_session_ts", "session_id", "ts"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("trading_sessions.id", ondelete="CASCADE"))
    ts: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class SnapshotPositionRow(InstrumentColumns, Base):
    """One `Position` inside a snapshot."""

    __tablename__ = "snapshot_positions"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("position_snapshots.id", ondelete="CASCADE"), index=True
    )
    product: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(BigInteger)
    cost_basis: Mapped[Decimal] = mapped_column(Money())
    realised_pnl: Mapped[Decimal] = mapped_column(Money())
    charges: Mapped[Decimal] = mapped_column(Money())
    last_price: Mapped[Decimal | None] = mapped_column(Money())
    opened_ts: Mapped[int] = mapped_column(BigInteger)


class BacktestRunRow(Base):
    """A finished backtest: what ran, on what, and what it produced (JSON as reported)."""

    __tablename__ = "backtest_runs"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(512))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_source: Mapped[str] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    trades: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, index=True)


class SettingRow(Base):
    """A user setting changed at run time (the dashboard's), as a JSON value under a key."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, onupdate=utc_now)


class BrokerAccountRow(Timestamps, Base):
    """A broker login scalpbot knows of. Deliberately without any secret column: keys and
    tokens live in the secrets file (mode 0600), never in the database."""

    __tablename__ = "broker_accounts"
    __table_args__ = (UniqueConstraint("broker", "user_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    broker: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)


class EventRow(Base):
    """The audit log: what happened, when (market time), to which session."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_kind_ts", "kind", "ts"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("trading_sessions.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class PaperStateRow(Base):
    """The paper exchange's book (`PaperExchange.to_state()`) of one session."""

    __tablename__ = "paper_states"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("trading_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, onupdate=utc_now)


class DashboardUserRow(Timestamps, Base):
    """A person who may log in to the dashboard and the REST API. Only an argon2 hash of the
    password is kept; the password itself never reaches the database."""

    __tablename__ = "dashboard_users"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))


class ApiTokenRow(Base):
    """A long-lived token for scripts. Only the SHA-256 of the token is kept, so a copy of the
    database cannot be used to call the API; `revoked_at` set means it no longer works."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LoginSessionRow(Base):
    """One dashboard login (from `POST /api/login` until logout or expiry). Kept server-side so
    a restart does not log everyone out and logout really ends the session; the token and its
    CSRF token are stored as SHA-256 hashes only."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_users.id", ondelete="CASCADE"), index=True
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
