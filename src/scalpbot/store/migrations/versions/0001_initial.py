"""The initial schema: sessions, orders with their history, fills, positions, strategies,
backtests, settings, broker accounts, the event log and the paper exchange's state.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from scalpbot.store.types import Money, UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, nullable=False)


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    ]


def _instrument() -> list[sa.Column[object]]:
    return [
        sa.Column("exchange", sa.String(length=8), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("instrument_type", sa.String(length=8), nullable=False),
        sa.Column("tick_size", Money(), nullable=False),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("strike", Money(), nullable=True),
        sa.Column("instrument_name", sa.String(length=128), nullable=False),
    ]


def _session_fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["session_id"],
        ["trading_sessions.id"],
        name=op.f(f"fk_{table}_session_id_trading_sessions"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "strategies",
        _id(),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("class_spec", sa.String(length=512), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("symbols", sa.JSON(), nullable=False),
        sa.Column("timeframe", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
        sa.UniqueConstraint("name", name=op.f("uq_strategies_name")),
    )
    op.create_table(
        "trading_sessions",
        _id(),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("strategies", sa.JSON(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("data_source", sa.Text(), nullable=True),
        sa.Column("resume_key", sa.String(length=256), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("last_bar_index", sa.BigInteger(), nullable=True),
        sa.Column("last_bar_ts", sa.BigInteger(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_sessions")),
    )
    op.create_index(op.f("ix_trading_sessions_resume_key"), "trading_sessions", ["resume_key"])

    op.create_table(
        "orders",
        _id(),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("broker_order_id", sa.String(length=64), nullable=True),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("order_type", sa.String(length=8), nullable=False),
        sa.Column("product", sa.String(length=8), nullable=False),
        sa.Column("validity", sa.String(length=8), nullable=False),
        sa.Column("price", Money(), nullable=True),
        sa.Column("trigger_price", Money(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("filled_quantity", sa.BigInteger(), nullable=False),
        sa.Column("average_price", Money(), nullable=False),
        sa.Column("strategy_id", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.Column("updated_ts", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("resting_status", sa.String(length=24), nullable=True),
        *_instrument(),
        *_timestamps(),
        _session_fk("orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_orders_client_order_id")),
    )
    op.create_index(op.f("ix_orders_broker_order_id"), "orders", ["broker_order_id"])
    op.create_index("ix_orders_session_status", "orders", ["session_id", "status"])

    op.create_table(
        "order_status_history",
        _id(),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_status_history_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_status_history")),
        sa.UniqueConstraint("order_id", "seq", name=op.f("uq_order_status_history_order_id_seq")),
    )

    op.create_table(
        "fills",
        _id(),
        sa.Column("fill_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("broker_order_id", sa.String(length=64), nullable=True),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("price", Money(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("product", sa.String(length=8), nullable=False),
        sa.Column("charges", Money(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        *_instrument(),
        _session_fk("fills"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
        sa.UniqueConstraint("fill_id", name=op.f("uq_fills_fill_id")),
    )
    op.create_index(op.f("ix_fills_client_order_id"), "fills", ["client_order_id"])
    op.create_index("ix_fills_session_ts", "fills", ["session_id", "ts"])

    op.create_table(
        "position_snapshots",
        _id(),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        _session_fk("position_snapshots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position_snapshots")),
    )
    op.create_index("ix_position_snapshots_session_ts", "position_snapshots", ["session_id", "ts"])
    op.create_table(
        "snapshot_positions",
        _id(),
        sa.Column("snapshot_id", ID, nullable=False),
        sa.Column("product", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("cost_basis", Money(), nullable=False),
        sa.Column("realised_pnl", Money(), nullable=False),
        sa.Column("charges", Money(), nullable=False),
        sa.Column("last_price", Money(), nullable=True),
        sa.Column("opened_ts", sa.BigInteger(), nullable=False),
        *_instrument(),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["position_snapshots.id"],
            name=op.f("fk_snapshot_positions_snapshot_id_position_snapshots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshot_positions")),
    )
    op.create_index(
        op.f("ix_snapshot_positions_snapshot_id"), "snapshot_positions", ["snapshot_id"]
    )

    op.create_table(
        "backtest_runs",
        _id(),
        sa.Column("strategy", sa.String(length=512), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("data_source", sa.Text(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("trades", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backtest_runs")),
    )
    op.create_index(op.f("ix_backtest_runs_created_at"), "backtest_runs", ["created_at"])

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "broker_accounts",
        _id(),
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_accounts")),
        sa.UniqueConstraint("broker", "user_id", name=op.f("uq_broker_accounts_broker_user_id")),
    )

    op.create_table(
        "events",
        _id(),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("session_id", ID, nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        _session_fk("events", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_kind_ts", "events", ["kind", "ts"])
    op.create_index(op.f("ix_events_session_id"), "events", ["session_id"])
    op.create_index(op.f("ix_events_ts"), "events", ["ts"])

    op.create_table(
        "paper_states",
        sa.Column("session_id", ID, nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _session_fk("paper_states"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_paper_states")),
    )


def downgrade() -> None:
    for table in (
        "paper_states",
        "events",
        "broker_accounts",
        "settings",
        "backtest_runs",
        "snapshot_positions",
        "position_snapshots",
        "fills",
        "order_status_history",
        "orders",
        "trading_sessions",
        "strategies",
    ):
        op.drop_table(table)  # its indexes go with it
