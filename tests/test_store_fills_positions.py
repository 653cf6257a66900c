"""Fills (idempotent by fill id, exact prices) and position snapshots in the store."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scalpbot.domain import Fill, Position, Product, Side
from scalpbot.store import Store, StoreError
from store_support import EQUITY, ODD_TICK, SECOND, T0

pytest_plugins = ["store_fixtures"]


def _fill(fill_id: str, ts: int, price: str = "1234567.8905", quantity: int = 75) -> Fill:
    return Fill(
        fill_id=fill_id,
        client_order_id="C1",
        instrument=ODD_TICK,
        side=Side.BUY,
        quantity=quantity,
        price=Decimal(price),
        ts=ts,
        product=Product.NRML,
        broker_order_id="B-1",
        charges=Decimal("23.6125"),
    )


def test_adding_a_fill_twice_stores_it_once(store: Store, session_id: int) -> None:
    fill = _fill("F1", T0)
    assert store.fills.add(fill, session_id) is True
    assert store.fills.add(fill, session_id) is False
    assert store.fills.for_session(session_id) == [fill]


def test_fills_come_back_exact_in_time_then_arrival_order(store: Store, session_id: int) -> None:
    late = _fill("F-late", T0 + 2 * SECOND, price="0.0025")
    first = _fill("F-b", T0, price="1234567.8905")
    second = _fill("F-a", T0, price="99999999999999.9975")  # same ts: arrival order decides
    for fill in (late, first, second):
        assert store.fills.add(fill, session_id)
    other = store.sessions.create("paper", "paper", [], {}, None, None)
    store.fills.add(_fill("F-other", T0), other)

    back = store.fills.for_session(session_id)
    assert back == [first, second, late]
    assert [str(f.price) for f in back] == ["1234567.8905", "99999999999999.9975", "0.0025"]
    assert back[0].charges == Decimal("23.6125")
    assert back[0].instrument == ODD_TICK
    assert back[0].value == Decimal("1234567.8905") * 75


def test_a_fill_of_an_unknown_session_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="adding fill 'F1' failed"):
        store.fills.add(_fill("F1", T0), 12345)
    assert store.fills.for_session(12345) == []


def test_the_latest_snapshot_gives_back_the_positions(store: Store, session_id: int) -> None:
    assert store.positions.latest(session_id) == []
    long = Position(ODD_TICK, Product.NRML)
    long.apply_fill(Side.BUY, 150, Decimal("101.0025"), T0)
    long.apply_fill(Side.SELL, 50, Decimal("103.5050"), T0 + SECOND)
    long.last_price = Decimal("102.2525")
    long.charges = Decimal("12.3456")
    short = Position(EQUITY)
    short.apply_fill(Side.SELL, 7, Decimal("2450.05"), T0 + SECOND)

    store.positions.snapshot(session_id, T0, [long])
    store.positions.snapshot(session_id, T0 + 2 * SECOND, [long, short])
    latest = store.positions.latest(session_id)
    assert [r.ts for r in latest] == [T0 + 2 * SECOND] * 2
    assert [r.to_position() for r in latest] == [long, short]
    assert latest[0].cost_basis == long.cost_basis
    assert latest[0].realised_pnl == long.realised_pnl
    assert latest[0].to_position().unrealised_pnl == long.unrealised_pnl
    assert latest[1].quantity == -7

    store.positions.snapshot(session_id, T0 + 3 * SECOND, [])  # everything closed
    assert store.positions.latest(session_id) == []
