"""Shared helpers of the store tests (this module holds no tests itself); the fixtures built on
them are in store_fixtures.py, which test modules load with `pytest_plugins`.

Every test gets a database of its own: a SQLite file in its tmp_path, or a PostgreSQL database
`scalpbot_test_<random>` created for it on the server and dropped afterwards, so parallel runs
(`pytest -n 2`) and leftovers of an interrupted run never meet.

PostgreSQL is at $SCALPBOT_TEST_POSTGRES_URL, by default postgresql://postgres@127.0.0.1:5432/test
(that database is only used to create and drop the test databases). Without a server the
PostgreSQL cases are skipped with the reason, unless $CI is set: in CI an unreachable server
FAILS them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from scalpbot.domain import Exchange, Instrument, InstrumentType, Order, OrderType, Side

POSTGRES_ENV = "SCALPBOT_TEST_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

T0 = 1_700_000_000_000_000_000
SECOND = 1_000_000_000
ODD_TICK = Instrument(
    Exchange.NFO,
    "NIFTY24DEC24000CE",
    InstrumentType.CE,
    tick_size=Decimal("0.0025"),
    lot_size=75,
    segment="NFO-OPT",
    strike=Decimal("24000"),
    name="NIFTY",
)
EQUITY = Instrument(Exchange.NSE, "RELIANCE", tick_size=Decimal("0.05"), name="Reliance")


def admin_url() -> str:
    url = make_url(os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES))
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"PostgreSQL is required when CI is set: {reason}")
    pytest.skip(f"PostgreSQL not available ({reason}); set {POSTGRES_ENV} or start a server")


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped when the block ends."""
    admin = create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    name = f"scalpbot_test_{uuid.uuid4().hex[:16]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        _unavailable(" ".join(str(getattr(exc, "orig", exc)).split()))
    try:
        yield make_url(admin_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def limit_order(cid: str = "C1", price: str = "1234567.8905", quantity: int = 150) -> Order:
    """A buy LIMIT order on an option with a 0.0025 tick, as the engine makes it."""
    return Order(
        client_order_id=cid,
        instrument=ODD_TICK,
        side=Side.BUY,
        quantity=quantity,
        order_type=OrderType.LIMIT,
        price=Decimal(price),
        strategy_id="ema-1",
        created_ts=T0,
        updated_ts=T0,
    )
