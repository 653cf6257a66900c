"""The order state machine: every allowed move works, every other move raises."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scalpbot.domain import (
    TRANSITIONS,
    Exchange,
    Instrument,
    Order,
    OrderStateError,
    OrderStatus,
    OrderType,
    Side,
)

S = OrderStatus
INSTRUMENT = Instrument(Exchange.NSE, "RELIANCE", tick_size=Decimal("0.05"))


def make_order(**overrides: object) -> Order:
    fields: dict[str, object] = {
        "client_order_id": "SB000001",
        "instrument": INSTRUMENT,
        "side": Side.BUY,
        "quantity": 10,
    }
    fields.update(overrides)
    return Order(**fields)  # type: ignore[arg-type]


ALL_PAIRS = [(a, b) for a in S for b in S if a != b or b is S.PARTIALLY_FILLED]


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_transition_table_is_enforced(current: OrderStatus, target: OrderStatus) -> None:
    order = make_order(status=current)
    if target in TRANSITIONS[current]:
        assert order.transition(target, 1, "why") is True
        assert order.status is target
        assert order.history[-1].status is target
    else:
        with pytest.raises(OrderStateError, match=f"from {current} to {target}"):
            order.transition(target, 1)
        assert order.status is current


def test_terminal_states_have_no_exit() -> None:
    for status in (S.FILLED, S.CANCELLED, S.REJECTED):
        assert status.is_terminal
        assert not TRANSITIONS[status]


def test_unknown_is_never_treated_as_rejected() -> None:
    order = make_order()
    order.transition(S.UNKNOWN, 1, "timeout after sending")
    assert order.is_working  # still may fill: must be resolved, not resent
    order.transition(S.OPEN, 2, "found by tag")
    assert order.status is S.OPEN


def test_repeated_status_is_not_news() -> None:
    order = make_order()
    order.transition(S.OPEN, 1)
    assert order.transition(S.OPEN, 2) is False
    assert len(order.history) == 2


def test_refused_modify_returns_to_resting_status() -> None:
    order = make_order(order_type=OrderType.LIMIT, price=Decimal("100"))
    order.transition(S.OPEN, 1)
    order.transition(S.PENDING_MODIFY, 2)
    assert order.resting_status is S.OPEN
    order.transition(S.OPEN, 3, "modify refused")
    assert order.status is S.OPEN


def test_fills_average_and_finish() -> None:
    order = make_order()
    order.transition(S.OPEN, 1)
    order.record_fill(4, Decimal("100.05"), 2)
    assert order.status is S.PARTIALLY_FILLED
    order.record_fill(6, Decimal("100.10"), 3)
    assert order.status is S.FILLED
    assert order.average_price == Decimal("100.08")
    with pytest.raises(OrderStateError):
        order.record_fill(1, Decimal("1"), 4)


def test_fill_during_pending_cancel_is_accepted() -> None:
    order = make_order()
    order.transition(S.OPEN, 1)
    order.transition(S.PENDING_CANCEL, 2)
    order.record_fill(10, Decimal("99.95"), 3)
    assert order.status is S.FILLED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": 0}, "quantity must be positive"),
        ({"order_type": OrderType.LIMIT}, "needs a price"),
        ({"order_type": OrderType.SL, "price": Decimal(1)}, "needs a trigger"),
        ({"order_type": OrderType.SL_M}, "needs a trigger"),
    ],
)
def test_invalid_orders_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_order(**fields)
