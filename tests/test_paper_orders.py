"""Submit, modify and cancel at the paper exchange: acknowledgements, rejections, refusals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from paper_support import (
    INSTRUMENT,
    T0,
    Recorder,
    bar_at,
    exchange_with,
    make_order,
)
from scalpbot.brokers.paper import PaperConfig, PaperExchange
from scalpbot.domain import (
    ConfigError,
    Exchange,
    Instrument,
    Order,
    OrderGateway,
    OrderStateError,
    OrderStatus,
)

S = OrderStatus
LOTS = Instrument(Exchange.NFO, "NIFTYFUT", tick_size=Decimal("0.05"), lot_size=50)


def test_paper_exchange_is_an_order_gateway() -> None:
    assert isinstance(PaperExchange(), OrderGateway)


@pytest.mark.parametrize(
    ("order_type", "price", "trigger", "status"),
    [
        ("MARKET", None, None, S.OPEN),
        ("LIMIT", "99.50", None, S.OPEN),
        ("SL", "101.50", "101.00", S.TRIGGER_PENDING),
        ("SL-M", None, "101.00", S.TRIGGER_PENDING),
    ],
)
def test_submit_acknowledges_at_once_without_touching_the_order(
    order_type: str, price: str | None, trigger: str | None, status: OrderStatus
) -> None:
    exchange, recorder = exchange_with()
    order = make_order("C1", "BUY", order_type, price, trigger)
    exchange.submit(order)
    (update,) = recorder.updates
    assert (update.client_order_id, update.status, update.ts) == ("C1", status, T0)
    assert update.broker_order_id == "P000001"
    assert order.status is S.PENDING_SUBMIT and order.broker_order_id is None
    (resting,) = exchange.open_orders()
    assert (resting.quantity, resting.remaining, resting.submit_ts) == (10, 10, T0)


def broken(order: Order, **changes: Any) -> Order:
    for name, value in changes.items():
        setattr(order, name, value)
    return order


mk = make_order

# fmt: off
REJECTIONS = {
    "not whole lots": (mk("C1", quantity=30, instrument=LOTS), "not a multiple of the lot size 50"),
    "price off tick": (mk("C1", "BUY", "LIMIT", "99.52"), "price 99.52 is not a multiple of"),
    "trigger off tick": (mk("C1", "SELL", "SL-M", None, "98.01"), "trigger price 98.01 is not a"),
    "price zero": (mk("C1", "BUY", "LIMIT", "0"), "price must be a positive number"),
    "negative trigger": (mk("C1", "BUY", "SL", "10", "-5"), "trigger price must be a positive"),
    "price removed": (broken(mk("C1", "BUY", "LIMIT", "99.5"), price=None), "needs a price"),
    "no trigger": (broken(mk("C1", "SELL", "SL-M", None, "9"), trigger_price=None), "needs a trig"),
}
# fmt: on


@pytest.mark.parametrize(("order", "reason"), list(REJECTIONS.values()), ids=list(REJECTIONS))
def test_submit_rejects_with_a_clear_reason(order: Order, reason: str) -> None:
    exchange, recorder = exchange_with()
    exchange.submit(order)
    (update,) = recorder.updates
    assert update.status is S.REJECTED and update.broker_order_id == "P000001"
    assert reason in update.reason and order.client_order_id in update.reason
    assert exchange.open_orders() == []
    exchange.on_bar(bar_at(0, (100, 101, 1, 100)))
    assert recorder.fills == []


def test_market_order_ignores_a_stray_price() -> None:
    exchange, recorder = exchange_with()
    exchange.submit(make_order("C1", "BUY", "MARKET", price="1.23"))
    exchange.on_bar(bar_at(0, (100, 101, 99, 100)))
    assert [f.price for f in recorder.fills] == [Decimal("100.00")]


def test_submitting_one_client_id_twice_is_an_error() -> None:
    exchange, _ = exchange_with()
    exchange.submit(make_order("C1"))
    with pytest.raises(OrderStateError, match="C1 was already submitted"):
        exchange.submit(make_order("C1"))


def test_without_a_listener_nothing_is_accepted() -> None:
    exchange = PaperExchange()
    with pytest.raises(ConfigError, match="set_listener"):
        exchange.submit(make_order())
    assert exchange.open_orders() == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"slippage_ticks": -1}, "slippage_ticks must be >= 0"),
        ({"slippage_ticks": 0.5}, "slippage_ticks must be an integer"),
        ({"latency_ns": -5}, "latency_ns must be >= 0"),
        ({"partial_fill_volume_fraction": 0}, "partial_fill_volume_fraction"),
        ({"partial_fill_volume_fraction": 1.5}, "partial_fill_volume_fraction"),
        ({"partial_fill_volume_fraction": float("nan")}, "partial_fill_volume_fraction"),
    ],
)
def test_bad_config_is_refused(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        PaperConfig(**config)


def test_bad_id_prefix_is_refused() -> None:
    with pytest.raises(ConfigError, match="id_prefix"):
        PaperExchange(id_prefix="P-1")


# -- modify ------------------------------------------------------------------------------------
def test_modify_limit_price_reports_new_fields_and_matches_on_them() -> None:
    exchange, recorder = exchange_with()
    order = make_order("C1", "BUY", "LIMIT", "99.00")
    exchange.submit(order)
    exchange.modify(order, price=Decimal("99.50"), quantity=20)
    update = recorder.updates[-1]
    assert (update.status, update.price, update.quantity) == (S.OPEN, Decimal("99.50"), 20)
    exchange.on_bar(bar_at(0, (100, 100.5, 99.5, 100)))
    assert [(f.quantity, f.price) for f in recorder.fills] == [(20, Decimal("99.50"))]


def test_modify_stop_trigger_keeps_it_trigger_pending() -> None:
    exchange, recorder = exchange_with()
    order = make_order("C1", "SELL", "SL-M", None, "99.00")
    exchange.submit(order)
    exchange.modify(order, trigger_price=Decimal("99.60"))
    update = recorder.updates[-1]
    assert (update.status, update.trigger_price) == (S.TRIGGER_PENDING, Decimal("99.60"))
    exchange.on_bar(bar_at(0, (100, 100.5, 99.5, 100)))
    assert [f.price for f in recorder.fills] == [Decimal("99.60")]


def pending(order: Order, status: OrderStatus) -> Order:
    """The order as the engine holds it while its request is out (OPEN -> PENDING_*)."""
    order.transition(S.OPEN, order.created_ts)
    order.transition(status, order.created_ts + 5)
    return order


# fmt: off
MODIFY_REFUSALS = {
    "price off tick": ({"price": Decimal("99.01")}, "price 99.01 is not a multiple of the tick"),
    "quantity not whole lots": ({"quantity": 15}, "not a multiple of the lot size 10"),
    "trigger on a limit": ({"trigger_price": Decimal("98")}, "LIMIT order has no trigger price"),
    "negative price": ({"price": Decimal("-1")}, "price must be a positive number"),
}
# fmt: on


@pytest.mark.parametrize(
    ("changes", "reason"), list(MODIFY_REFUSALS.values()), ids=list(MODIFY_REFUSALS)
)
def test_modify_refusal_leaves_the_order_as_it_was(
    changes: dict[str, Any], reason: str | None
) -> None:
    exchange, recorder = exchange_with()
    lots = Instrument(Exchange.NSE, "TEST", tick_size=Decimal("0.05"), lot_size=10)
    order = make_order("C1", "BUY", "LIMIT", "99.00", instrument=lots)
    exchange.submit(order)
    before = exchange.open_orders()
    exchange.modify(pending(order, S.PENDING_MODIFY), **changes)
    update = recorder.updates[-1]
    assert update.status is S.OPEN  # the status before the request
    assert (update.price, update.trigger_price, update.quantity) == (None, None, None)
    assert "refused to modify C1" in update.reason
    assert reason is None or reason in update.reason
    assert exchange.open_orders() == before


def test_modify_quantity_must_exceed_what_has_filled() -> None:
    exchange, recorder = exchange_with(partial_fill_volume_fraction=0.5)
    order = make_order("C1", "BUY", "LIMIT", "100.00", quantity=10)
    exchange.submit(order)
    exchange.on_bar(bar_at(0, (100, 100.5, 99.5, 100), volume=8))  # fills 4
    exchange.modify(order, quantity=4)
    assert "must exceed the 4 already filled" in recorder.updates[-1].reason
    exchange.modify(order, quantity=6)
    assert (recorder.updates[-1].status, recorder.updates[-1].quantity) == (
        S.PARTIALLY_FILLED,
        6,
    )
    exchange.on_bar(bar_at(1, (100, 100.5, 99.5, 100), volume=1000))
    assert [f.quantity for f in recorder.fills] == [4, 2]


def test_modify_price_of_a_market_order_is_refused() -> None:
    exchange, recorder = exchange_with()
    order = make_order()
    exchange.submit(order)
    exchange.modify(order, price=Decimal("100"))
    assert "MARKET order has no price to change" in recorder.updates[-1].reason


# -- cancel ------------------------------------------------------------------------------------
def test_cancel_resting_order() -> None:
    exchange, recorder = exchange_with()
    order = make_order("C1", "BUY", "LIMIT", "99.00")
    exchange.submit(order)
    exchange.cancel(pending(order, S.PENDING_CANCEL))
    update = recorder.updates[-1]
    assert (update.status, update.broker_order_id, update.ts) == (S.CANCELLED, "P000001", T0 + 5)
    assert exchange.open_orders() == []
    exchange.on_bar(bar_at(0, (99, 99.5, 98, 99)))
    assert recorder.fills == []


@pytest.mark.parametrize("request_kind", ["cancel", "modify"])
@pytest.mark.parametrize(
    ("history", "reason"),
    [
        ("filled", "it is already filled"),
        ("cancelled", "it is already cancelled"),
        ("rejected", "it was rejected"),
        ("never sent", "does not know this order"),
    ],
)
def test_requests_for_orders_not_resting_are_refused(
    request_kind: str, history: str, reason: str
) -> None:
    exchange, recorder = exchange_with()
    order = make_order("C1", "BUY", "LIMIT", "99.00" if history != "rejected" else "99.01")
    if history != "never sent":
        exchange.submit(order)
    if history == "filled":
        exchange.on_bar(bar_at(0, (99, 99.5, 98, 99)))
    if history == "cancelled":
        exchange.cancel(order)
    order.status = S.OPEN  # whatever the engine believed, the refusal sends it back there
    getattr(exchange, request_kind)(pending_from_open(order, request_kind))
    update = recorder.updates[-1]
    assert update.status is S.OPEN
    assert reason in update.reason and f"cannot {request_kind} C1" in update.reason


def pending_from_open(order: Order, request_kind: str) -> Order:
    target = S.PENDING_CANCEL if request_kind == "cancel" else S.PENDING_MODIFY
    order.transition(target, order.created_ts + 5)
    return order


def test_open_orders_are_copies_in_submission_order() -> None:
    exchange, _ = exchange_with()
    for cid in ("B", "A", "C"):
        exchange.submit(make_order(cid, "BUY", "LIMIT", "90.00"))
    listed = exchange.open_orders()
    assert [o.client_order_id for o in listed] == ["B", "A", "C"]
    listed[0].quantity = 999
    assert exchange.open_orders()[0].quantity == 10
    assert listed[0].instrument is INSTRUMENT


def test_recorder_is_a_plain_listener() -> None:
    recorder = Recorder()
    exchange = PaperExchange(id_prefix="X")
    exchange.set_listener(recorder)
    exchange.submit(make_order())
    assert recorder.updates[0].broker_order_id == "X000001"
