"""Reconciling our records with a broker's book: every outcome, and a resumed session that
refuses to trade when the stored book does not match."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from paper_support import Recorder
from scalpbot.brokers.paper import PaperExchange
from scalpbot.domain import Exchange, Instrument, Order, OrderStatus, OrderType, Side
from scalpbot.runtime.reconcile import (
    BrokerOrder,
    apply_to_orders,
    book_from_paper_state,
    reconcile,
)

S = OrderStatus
X = Instrument(Exchange.NSE, "X", tick_size=Decimal("0.05"))


def order(cid: str, status: OrderStatus) -> Order:
    made = Order(cid, X, Side.BUY, 5, OrderType.LIMIT, price=Decimal(100))
    made.status = status
    return made


def test_every_outcome_is_sorted_and_explained() -> None:
    ours = [
        order("A", S.OPEN),  # same at the broker
        order("B", S.OPEN),  # filled while we were down
        order("C", S.PENDING_SUBMIT),  # journaled, never arrived
        order("D", S.FILLED),  # the broker says it is open: impossible
        order("E", S.OPEN),  # the broker has never heard of it
    ]
    broker = [
        BrokerOrder("A", "1", S.OPEN),
        BrokerOrder("B", "2", S.FILLED),
        BrokerOrder("D", "4", S.OPEN),
        BrokerOrder(None, "9", S.OPEN, "NSE:X", "SELL", 3),  # placed by hand
        BrokerOrder("ZZ", "10", S.FILLED),  # someone else's tag
    ]
    result = reconcile(ours, broker, {"NSE:X": 5}, {"NSE:X": 10})
    assert result.matched == ["A"]
    assert result.advanced == [("B", S.OPEN, S.FILLED)]
    assert result.never_sent == ["C"]
    assert [o.broker_order_id for o in result.adopted] == ["9", "10"]
    assert len(result.conflicts) == 2
    assert result.position_mismatches == [("NSE:X", 5, 10)]
    assert not result.ok
    text = result.explain()
    assert "never reached the broker: C" in text and "NSE:X ours 5 broker 10" in text
    assert json.dumps(result.to_dict())


def test_apply_brings_records_along_the_state_machine() -> None:
    ours = {"B": order("B", S.OPEN), "C": order("C", S.UNKNOWN)}
    result = reconcile(ours.values(), [BrokerOrder("B", "2", S.CANCELLED)], {}, {})
    assert result.ok
    changed = apply_to_orders(result, ours, ts=7)
    assert [o.status for o in changed] == [S.CANCELLED, S.REJECTED]
    assert "never arrived" in ours["C"].reason


def test_paper_book_reads_as_broker_entries() -> None:
    exchange = PaperExchange(id_prefix="P9")
    exchange.set_listener(Recorder())
    exchange.submit(Order("L1", X, Side.BUY, 5, OrderType.LIMIT, price=Decimal(100), created_ts=1))
    exchange.submit(
        Order("S1", X, Side.SELL, 5, OrderType.SL_M, trigger_price=Decimal(90), created_ts=1)
    )
    exchange.cancel(Order("L1", X, Side.BUY, 5, OrderType.LIMIT, price=Decimal(100)))
    entries = {e.tag: e for e in book_from_paper_state(exchange.to_state())}
    assert entries["S1"].status is S.TRIGGER_PENDING and entries["S1"].instrument_key == "NSE:X"
    assert entries["L1"].status is S.CANCELLED


def test_resume_refuses_when_the_stored_book_was_tampered_with(tmp_path: Path) -> None:
    from scalpbot.data import sample_path

    home = tmp_path / "home"
    base = [
        sys.executable,
        "-m",
        "scalpbot",
        "run",
        "--home",
        str(home),
        "--feed",
        "replay",
        "--data",
        str(sample_path("2006-min-005.txt")),
        "--speed",
        "max",
        "--strategy",
        "ma_cross",
        "--param",
        "fast=3",
        "--param",
        "slow=9",
        "--quiet",
    ]
    subprocess.run(base, check=True, capture_output=True, timeout=120)
    with sqlite3.connect(home / "scalpbot.db") as db:
        # Pretend the run was killed at its checkpoint, and the broker's book says otherwise.
        db.execute("UPDATE trading_sessions SET finished_at = NULL, status = 'running'")
        (state,) = db.execute("SELECT state FROM paper_states").fetchone()
        book = json.loads(state)
        first = sorted(book["book"]["finished"])[0]
        book["book"]["finished"][first] = "CANCELLED"
        db.execute("UPDATE paper_states SET state = ?", (json.dumps(book),))
        (index,) = db.execute("SELECT last_bar_index FROM trading_sessions").fetchone()
        assert index == book["events"]
    done = subprocess.run([*base, "--resume"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "refusing to trade on" in done.stderr
    assert f"{first} is FILLED here but CANCELLED at the broker" in done.stderr


@pytest.mark.parametrize("status", [S.OPEN, S.TRIGGER_PENDING])
def test_working_order_lost_by_the_broker_is_a_conflict(status: OrderStatus) -> None:
    result = reconcile([order("A", status)], [])
    assert not result.ok and "unknown to the broker" in result.conflicts[0]
