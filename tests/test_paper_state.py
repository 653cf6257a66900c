"""The paper exchange's book survives a restart through JSON, and damaged state is refused."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from paper_support import OHLC, Recorder, bar_at, exchange_with, make_order
from scalpbot.brokers.paper import PaperConfig, PaperExchange
from scalpbot.domain import DataError, Exchange, Instrument, InstrumentType, Validity

OPTION = Instrument(
    Exchange.NFO,
    "NIFTY24DEC24000CE",
    InstrumentType.CE,
    tick_size=Decimal("0.05"),
    lot_size=25,
    segment="NFO-OPT",
    expiry=date(2024, 12, 26),
    strike=Decimal("24000"),
    name="NIFTY",
)
BARS: list[OHLC] = [
    (100, 100.5, 99.5, 100),
    (100.5, 101.6, 99.2, 101),
    (101, 101.2, 98.4, 99),
    (98, 99, 97, 98.5),
]


def busy_exchange(config: PaperConfig) -> tuple[PaperExchange, Recorder]:
    """An exchange with every kind of history: fills, a partial, a trigger, a cancel, a
    rejection, a modify and orders still resting."""
    exchange, recorder = exchange_with(**dataclasses.asdict(config))
    exchange.submit(make_order("MKT", "BUY"))
    exchange.submit(make_order("BIG", "BUY", "LIMIT", "99.50", quantity=500))
    exchange.submit(make_order("SLT", "BUY", "SL", "101.50", "101.00"))
    exchange.submit(make_order("STP", "SELL", "SL-M", None, "97.50"))
    exchange.submit(make_order("TGT", "SELL", "LIMIT", "103.00", validity=Validity.DAY))
    exchange.submit(make_order("BAD", "SELL", "LIMIT", "103.01"))
    exchange.submit(make_order("OPT", "BUY", "LIMIT", "55.00", quantity=50, instrument=OPTION))
    gone = make_order("GONE", "SELL", "LIMIT", "110.00")
    exchange.submit(gone)
    exchange.cancel(gone)
    exchange.modify(make_order("TGT", "SELL", "LIMIT", "103.00"), price=Decimal("102.50"))
    exchange.on_bar(bar_at(0, BARS[0], volume=2_000))
    return exchange, recorder


CONFIG = PaperConfig(slippage_ticks=1, partial_fill_volume_fraction=0.1)


def test_state_round_trips_through_json_and_trading_goes_on_identically() -> None:
    original, recorder = busy_exchange(CONFIG)
    state = original.to_state()
    restored = PaperExchange.from_state(json.loads(json.dumps(state)), CONFIG)
    assert restored.to_state() == state
    assert [o.client_order_id for o in restored.open_orders()] == [
        "BIG",
        "SLT",
        "STP",
        "TGT",
        "OPT",
    ]
    (big,) = [o for o in restored.open_orders() if o.client_order_id == "BIG"]
    assert (big.filled, big.remaining) == (190, 310)  # 200 of volume after MKT's 10
    replay = Recorder()
    restored.set_listener(replay)
    before = len(recorder.events)
    for i, ohlc in enumerate(BARS[1:], start=1):
        original.on_bar(bar_at(i, ohlc, volume=2_000))
        restored.on_bar(bar_at(i, ohlc, volume=2_000))
    assert replay.events == recorder.events[before:]
    assert replay.fills  # the rest of the story did happen
    assert restored.to_state() == original.to_state()


def test_triggered_stop_limit_stays_triggered_after_restore() -> None:
    exchange, _ = exchange_with()
    exchange.submit(make_order("SLT", "BUY", "SL", "101.50", "101.00"))
    exchange.on_bar(bar_at(0, (102, 102.5, 101.8, 102)))
    restored = PaperExchange.from_state(json.loads(json.dumps(exchange.to_state())))
    (rec,) = restored.open_orders()
    assert rec.triggered and rec.status.value == "OPEN"


def test_finished_orders_are_remembered_for_refusals() -> None:
    exchange, _ = exchange_with()
    order = make_order("C1")
    exchange.submit(order)
    exchange.on_bar(bar_at(0, BARS[0]))
    restored = PaperExchange.from_state(exchange.to_state())
    recorder = Recorder()
    restored.set_listener(recorder)
    restored.cancel(order)
    assert "already filled" in recorder.updates[-1].reason
    restored.submit(make_order("C2"))
    assert recorder.updates[-1].broker_order_id == "P000002"


def damage(path: list[str | int], value: Any) -> dict[str, Any]:
    exchange, _ = busy_exchange(CONFIG)
    state = copy.deepcopy(exchange.to_state())
    target: Any = state
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return state


# fmt: off
DAMAGE = {
    "wrong format": (["format"], "other/9", "format is 'other/9'"),
    "missing counter": (["orders_sent"], KeyError, "missing field 'orders_sent'"),
    "negative counter": (["fills_sent"], -1, "'fills_sent' must be an integer >= 0"),
    "bad prefix": (["id_prefix"], "P-", "'id_prefix' must be letters/digits"),
    "finished not an object": (["finished"], [], "'finished' must be an object"),
    "unknown final status": (["finished", "GONE"], "GONE", "'GONE' is not a valid OrderStatus"),
    "resting not a list": (["resting"], {}, "'resting' must be a list"),
    "bad side": (["resting", 0, "side"], "HOLD", "'HOLD' is not a valid Side"),
    "price not a number": (["resting", 0, "price"], "abc", "'price' is not a number"),
    "price as float": (["resting", 0, "price"], 99.5, "'price' must be a decimal string"),
    "price off tick": (["resting", 0, "price"], "99.51", "not a multiple of the tick size"),
    "overfilled": (["resting", 0, "filled"], 500, "leaves nothing of 'quantity' 500"),
    "bad tick size": (["resting", 0, "instrument", "tick_size"], "0", "tick size must be positive"),
    "bad expiry": (["resting", 4, "instrument", "expiry"], "26/12/2024", "'expiry' is not a date"),
    "triggered not bool": (["resting", 1, "triggered"], "yes", "'triggered' must be true or false"),
    "seq beyond counter": (["resting", 4, "seq"], 99, "'seq' 99 is beyond 'orders_sent'"),
    "duplicate id": (["resting", 1, "client_order_id"], "BIG", "'BIG' appears twice"),
    "finished and resting": (["resting", 1, "client_order_id"], "GONE", "'GONE' appears twice"),
}
# fmt: on


@pytest.mark.parametrize(("path", "value", "message"), list(DAMAGE.values()), ids=list(DAMAGE))
def test_damaged_state_is_refused_with_the_place_named(
    path: list[str | int], value: Any, message: str
) -> None:
    with pytest.raises(DataError, match="paper exchange state") as info:
        PaperExchange.from_state(damage(path, value))
    assert message in str(info.value)
