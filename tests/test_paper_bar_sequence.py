"""Several orders on one bar: which fills first, re-entrant listeners, and the volume cap."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paper_support import (
    OHLC,
    Recorder,
    bar_at,
    bar_index,
    exchange_with,
    make_order,
)
from scalpbot.brokers.paper import PaperExchange
from scalpbot.domain import Exchange, Fill, Instrument, Order, OrderStatus, Validity

# Both exit legs of one position, each row: legs as (cid, side, type, price, trigger), the bar,
# and the fills expected in the order they happen as (cid, price).
Leg = tuple[str, str, str, str | None, str | None]
LONG_LEGS: list[Leg] = [
    ("STOP", "SELL", "SL-M", None, "99.00"),
    ("TGT", "SELL", "LIMIT", "101.00", None),
]
SHORT_LEGS: list[Leg] = [
    ("STOP", "BUY", "SL-M", None, "101.00"),
    ("TGT", "BUY", "LIMIT", "99.00", None),
]

# fmt: off
BOTH_LEGS_ROWS = {
    "long: bar hits both, stop first": (LONG_LEGS, (100, 101.5, 98.5, 100),
                                        [("STOP", "99.00"), ("TGT", "101.00")]),
    "long: stop first even when target is nearer the open": (
        LONG_LEGS, (100.8, 101.5, 98.5, 100), [("STOP", "99.00"), ("TGT", "101.00")]),
    "long: open gaps through target, target first": (
        LONG_LEGS, (101.2, 101.5, 98.5, 100), [("TGT", "101.20"), ("STOP", "99.00")]),
    "long: open gaps through stop, stop first": (
        LONG_LEGS, (98.5, 101.5, 98.0, 100), [("STOP", "98.50"), ("TGT", "101.00")]),
    "short: bar hits both, stop first": (SHORT_LEGS, (100, 101.5, 98.5, 100),
                                         [("STOP", "101.00"), ("TGT", "99.00")]),
    "short: open gaps through target, target first": (
        SHORT_LEGS, (98.8, 101.5, 98.5, 100), [("TGT", "98.80"), ("STOP", "101.00")]),
    "only the target reached": (LONG_LEGS, (100, 101.5, 99.5, 100), [("TGT", "101.00")]),
}
# fmt: on


def place(exchange: PaperExchange, legs: list[Leg]) -> dict[str, Order]:
    orders = {}
    for cid, side, order_type, price, trigger in legs:
        orders[cid] = make_order(cid, side, order_type, price, trigger)
        exchange.submit(orders[cid])
    return orders


@pytest.mark.parametrize(
    ("legs", "ohlc", "expected"), list(BOTH_LEGS_ROWS.values()), ids=list(BOTH_LEGS_ROWS)
)
def test_both_legs_hit_worst_case_order(
    legs: list[Leg], ohlc: OHLC, expected: list[tuple[str, str]]
) -> None:
    exchange, recorder = exchange_with()
    place(exchange, legs)
    exchange.on_bar(bar_at(0, ohlc))
    assert [(f.client_order_id, f.price) for f in recorder.fills] == [
        (cid, Decimal(p)) for cid, p in expected
    ]


class OcoListener(Recorder):
    """Cancels the other leg when one fills, from inside the fill callback (as the engine)."""

    def __init__(self) -> None:
        super().__init__()
        self.exchange: PaperExchange | None = None
        self.orders: dict[str, Order] = {}

    def on_fill(self, fill: Fill) -> None:
        super().on_fill(fill)
        assert self.exchange is not None
        for cid, order in self.orders.items():
            if cid != fill.client_order_id:
                self.exchange.cancel(order)


@pytest.mark.parametrize(
    ("legs", "ohlc", "expected"), list(BOTH_LEGS_ROWS.values()), ids=list(BOTH_LEGS_ROWS)
)
def test_cancel_inside_the_fill_callback_stops_the_sibling_filling(
    legs: list[Leg], ohlc: OHLC, expected: list[tuple[str, str]]
) -> None:
    listener = OcoListener()
    exchange, _ = exchange_with(listener)
    listener.exchange = exchange
    listener.orders = place(exchange, legs)
    exchange.on_bar(bar_at(0, ohlc))
    first_cid, first_price = expected[0]
    assert [(f.client_order_id, f.price) for f in listener.fills] == [
        (first_cid, Decimal(first_price))
    ]
    other = "TGT" if first_cid == "STOP" else "STOP"
    assert listener.statuses(other)[-1] is OrderStatus.CANCELLED
    assert exchange.open_orders() == []
    exchange.on_bar(bar_at(1, ohlc))
    assert len(listener.fills) == 1


def test_path_without_stops_visits_the_nearer_extreme_first() -> None:
    exchange, recorder = exchange_with()
    place(
        exchange,
        [("BUY", "BUY", "LIMIT", "99.00", None), ("SELL", "SELL", "LIMIT", "101.00", None)],
    )
    exchange.on_bar(bar_at(0, (100.2, 101, 98.8, 100)))  # high nearer: up first
    exchange.submit(make_order("BUY2", "BUY", "LIMIT", "99.00"))
    exchange.submit(make_order("SELL2", "SELL", "LIMIT", "101.00"))
    exchange.on_bar(bar_at(1, (99.8, 101, 98.8, 100)))  # low nearer: down first
    assert [f.client_order_id for f in recorder.fills] == ["SELL", "BUY", "BUY2", "SELL2"]


def test_orders_at_one_price_fill_stops_then_market_then_limits_then_by_submission() -> None:
    exchange, recorder = exchange_with()
    place(
        exchange,
        [
            ("LIM", "SELL", "LIMIT", "99.00", None),
            ("MKT", "SELL", "MARKET", None, None),
            ("STP", "SELL", "SL-M", None, "101.00"),
            ("MKT2", "BUY", "MARKET", None, None),
        ],
    )
    exchange.on_bar(bar_at(0, (100, 100.5, 99.5, 100)))
    assert [f.client_order_id for f in recorder.fills] == ["STP", "MKT", "MKT2", "LIM"]
    assert {f.price for f in recorder.fills} == {Decimal("100.00")}


class ModifyingListener(Recorder):
    """Moves the target further away inside the stop's fill callback."""

    def __init__(self) -> None:
        super().__init__()
        self.exchange: PaperExchange | None = None
        self.target: Order | None = None

    def on_fill(self, fill: Fill) -> None:
        super().on_fill(fill)
        if fill.client_order_id == "STOP" and self.exchange and self.target:
            self.exchange.modify(self.target, price=Decimal("101.50"))


def test_modify_inside_the_callback_takes_effect_from_the_next_bar() -> None:
    listener = ModifyingListener()
    exchange, _ = exchange_with(listener)
    listener.exchange = exchange
    orders = place(exchange, LONG_LEGS)
    listener.target = orders["TGT"]
    exchange.on_bar(bar_at(0, (100, 101.8, 98.5, 100)))
    assert [f.client_order_id for f in listener.fills] == ["STOP"]
    assert listener.updates[-1].price == Decimal("101.50")
    exchange.on_bar(bar_at(1, (100, 101.8, 99.5, 100)))
    assert [(f.client_order_id, f.price) for f in listener.fills][-1] == ("TGT", Decimal("101.50"))


class ExitPlacingListener(Recorder):
    """Places a protective stop inside the entry's fill callback, stamped with the bar's time."""

    def __init__(self) -> None:
        super().__init__()
        self.exchange: PaperExchange | None = None

    def on_fill(self, fill: Fill) -> None:
        super().on_fill(fill)
        if fill.client_order_id == "ENTRY" and self.exchange is not None:
            self.exchange.submit(make_order("STOP", "SELL", "SL-M", None, "99.00", ts=fill.ts))


def test_order_submitted_inside_a_callback_waits_for_the_next_bar() -> None:
    listener = ExitPlacingListener()
    exchange, _ = exchange_with(listener)
    listener.exchange = exchange
    exchange.submit(make_order("ENTRY"))
    exchange.on_bar(bar_at(0, (100, 100.5, 98, 99)))  # the range would hit the new stop
    assert [f.client_order_id for f in listener.fills] == ["ENTRY"]
    exchange.on_bar(bar_at(1, (99.5, 99.8, 98.9, 99)))
    assert [(f.client_order_id, f.price) for f in listener.fills][-1] == ("STOP", Decimal("99.00"))


class CancelFilledListener(Recorder):
    """When B fills, tries to cancel A, which filled earlier in the same bar."""

    def __init__(self) -> None:
        super().__init__()
        self.exchange: PaperExchange | None = None
        self.orders: dict[str, Order] = {}

    def on_fill(self, fill: Fill) -> None:
        super().on_fill(fill)
        if fill.client_order_id == "B" and self.exchange is not None:
            self.exchange.cancel(self.orders["A"])


def test_cancel_of_an_order_that_filled_earlier_in_the_bar_is_refused() -> None:
    listener = CancelFilledListener()
    exchange, _ = exchange_with(listener)
    listener.exchange = exchange
    legs: list[Leg] = [("A", "BUY", "MARKET", None, None), ("B", "SELL", "LIMIT", "101.00", None)]
    listener.orders = place(exchange, legs)
    exchange.on_bar(bar_at(0, (100, 101.5, 99.5, 100)))
    assert [f.client_order_id for f in listener.fills] == ["A", "B"]
    refusal = listener.updates[-1]
    assert refusal.client_order_id == "A" and "already filled" in refusal.reason
    assert refusal.status is OrderStatus.PENDING_SUBMIT  # the status it had: nothing changes


# -- partial fills against a volume cap ----------------------------------------------------------
def test_volume_cap_splits_a_fill_over_bars() -> None:
    exchange, recorder = exchange_with(partial_fill_volume_fraction=0.1)
    exchange.submit(make_order("C1", "BUY", "LIMIT", "100.00", quantity=100))
    exchange.on_bar(bar_at(0, (100, 100.5, 99.5, 100), volume=600))
    (resting,) = exchange.open_orders()
    assert (resting.filled, resting.status) == (60, OrderStatus.PARTIALLY_FILLED)
    exchange.on_bar(bar_at(1, (100, 100.5, 99.5, 100), volume=600))
    assert [(bar_index(f.ts), f.quantity) for f in recorder.fills] == [(0, 60), (1, 40)]
    assert exchange.open_orders() == []


def test_volume_cap_is_shared_and_rounded_down_to_lots() -> None:
    lots = Instrument(Exchange.NSE, "TEST", tick_size=Decimal("0.05"), lot_size=25)
    exchange, recorder = exchange_with(partial_fill_volume_fraction=0.5)
    exchange.submit(make_order("A", quantity=50, instrument=lots))
    exchange.submit(make_order("B", quantity=50, instrument=lots))
    exchange.on_bar(bar_at(0, (100, 100.5, 99.5, 100), volume=170))  # cap 85 -> 50 + 25
    assert [(f.client_order_id, f.quantity) for f in recorder.fills] == [("A", 50), ("B", 25)]
    exchange.on_bar(bar_at(1, (101, 101.5, 100.5, 101), volume=20))  # cap 10: less than a lot
    exchange.on_bar(bar_at(2, (102, 102.5, 101.5, 102), volume=0))  # no volume figure: no cap
    assert [(f.client_order_id, f.quantity, f.price) for f in recorder.fills][2:] == [
        ("B", 25, Decimal("102.00"))
    ]


def test_volume_cap_on_a_stop_with_no_volume_left_triggers_it_to_market() -> None:
    exchange, recorder = exchange_with(partial_fill_volume_fraction=0.01)
    exchange.submit(make_order("STOP", "SELL", "SL-M", None, "99.00"))
    exchange.on_bar(bar_at(0, (100, 100.5, 98.5, 99), volume=50))  # cap 0
    assert recorder.statuses("STOP") == [OrderStatus.TRIGGER_PENDING, OrderStatus.OPEN]
    exchange.on_bar(bar_at(1, (98.7, 99.5, 98.2, 99), volume=5_000))
    assert [(f.quantity, f.price) for f in recorder.fills] == [(10, Decimal("98.70"))]


def test_ioc_partly_filled_reports_the_fill_then_cancels_the_rest() -> None:
    exchange, recorder = exchange_with(partial_fill_volume_fraction=0.5)
    exchange.submit(make_order("C1", quantity=80, validity=Validity.IOC))
    exchange.on_bar(bar_at(0, (100, 100.5, 99.5, 100), volume=100))
    kinds = [(type(e).__name__, getattr(e, "status", None)) for e in recorder.events[1:]]
    assert kinds == [("Fill", None), ("OrderUpdate", OrderStatus.CANCELLED)]
    assert recorder.fills[0].quantity == 50
    assert "30 not filled" in recorder.updates[-1].reason
    assert exchange.open_orders() == []
