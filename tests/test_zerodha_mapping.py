"""Kite's JSON rows -> scalpbot's domain types, checked value by value against the mock
responses Zerodha publishes (tests/data/zerodha, from github.com/zerodha/kiteconnect-mocks),
and Kite's order form built and validated from ours."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scalpbot.brokers.zerodha.instruments import InstrumentMaster, parse_instruments_csv
from scalpbot.brokers.zerodha.mapping import (
    KITE_STATUS,
    bars_from_candles,
    fill_from_kite,
    funds_from_kite,
    holding_from_kite,
    kite_time_ns,
    order_from_kite,
    order_params,
    order_status,
    position_from_kite,
    profile_from_kite,
    quote_from_kite,
)
from scalpbot.domain import (
    IST,
    Bar,
    ConfigError,
    DataError,
    Exchange,
    Funds,
    InstrumentType,
    OrderRejected,
    OrderStatus,
    OrderType,
    Product,
    Profile,
    Side,
    Validity,
    datetime_to_ns,
)

DATA = Path(__file__).parent / "data" / "zerodha"
# Our own test data in Kite's CSV layout: the contracts the published responses trade, which
# the published instruments sample does not list (tokens as in those responses).
OWN_ROWS = (
    "412675,1612,USDINR21JUNFUT,USDINR,0,2021-06-28,0,0.0025,1,FUT,CDS-FUT,CDS\n"
    "415745,1624,IOC,INDIAN OIL CORP,0,,0,0.05,1,EQ,NSE,NSE\n"
    "779521,3045,SBIN,STATE BANK OF INDIA,0,,0,0.05,1,EQ,NSE,NSE\n"
    "58424839,228226,GOLDPETAL21JUNFUT,GOLDPETAL,0,2021-06-30,0,1,1,FUT,MCX-FUT,MCX\n"
    "10189826,39804,NIFTY2580724400CE,NIFTY,0,2025-08-07,24400,0.05,75,CE,NFO-OPT,NFO\n"
    "53496327,208150,LEADMINI17DECFUT,LEADMINI,0,2017-12-29,0,0.05,1,FUT,MCX-FUT,MCX\n"
    "408065,1594,INFY,INFOSYS,0,,0,0.05,1,EQ,NSE,NSE\n"
)


def load(name: str) -> Any:
    body = json.loads((DATA / name).read_text())
    return body["data"] if "status" in body and "data" in body else body


def ist(*parts: int) -> int:
    return datetime_to_ns(datetime(*parts, tzinfo=IST))  # type: ignore[misc]


@pytest.fixture(scope="module")
def master() -> InstrumentMaster:
    published = (DATA / "instruments_all.csv").read_text()
    return InstrumentMaster(parse_instruments_csv(published + OWN_ROWS))


def test_kite_times_are_ist_wall_clock() -> None:
    assert kite_time_ns("2021-05-31 09:18:57") == 1_622_432_937_000_000_000
    assert kite_time_ns("2017-12-15T09:15:00+0530") == ist(2017, 12, 15, 9, 15)
    assert kite_time_ns(None) is None and kite_time_ns("") is None
    with pytest.raises(DataError, match="Kite time: '09:16:39' is not a time like"):
        kite_time_ns("09:16:39")


# -- orders ---------------------------------------------------------------------------------


def test_the_published_order_book(master: InstrumentMaster) -> None:
    orders = [order_from_kite(row, master) for row in load("orders.json")]
    assert [o.status for o in orders] == [
        OrderStatus.CANCELLED,
        OrderStatus.FILLED,
        OrderStatus.FILLED,
        OrderStatus.REJECTED,
        OrderStatus.FILLED,
        OrderStatus.FILLED,
        OrderStatus.CANCELLED,
        OrderStatus.CANCELLED,
        OrderStatus.FILLED,
        OrderStatus.FILLED,
    ]
    usdinr = orders[0]
    assert usdinr.client_order_id == "kite:100000000000000"  # no tag: placed outside scalpbot
    assert usdinr.broker_order_id == "100000000000000"
    assert usdinr.instrument.key == "CDS:USDINR21JUNFUT"
    assert usdinr.instrument.tick_size == Decimal("0.0025")
    assert (usdinr.side, usdinr.order_type, usdinr.product, usdinr.validity) == (
        Side.BUY,
        OrderType.LIMIT,
        Product.NRML,
        Validity.DAY,
    )
    assert (usdinr.quantity, usdinr.filled_quantity) == (1, 0)
    assert (usdinr.price, usdinr.trigger_price, usdinr.average_price) == (Decimal(72), None, 0)
    assert usdinr.created_ts == 1_622_432_937_000_000_000  # 2021-05-31 09:18:57 IST
    assert usdinr.updated_ts == ist(2021, 5, 31, 9, 18, 58)
    assert usdinr.reason == ""

    bought, sold = orders[1], orders[2]
    assert (bought.price, bought.average_price, bought.filled_quantity) == (
        Decimal("109.4"),
        Decimal("109.4"),
        1,
    )
    assert bought.instrument.key == "NSE:IOC" and bought.product is Product.CNC
    assert (sold.order_type, sold.side, sold.price, sold.average_price) == (
        OrderType.MARKET,
        Side.SELL,
        None,  # Kite's 0 for an order type without a price
        Decimal("109.35"),
    )

    rejected = orders[3]
    assert rejected.client_order_id == "icebergord"
    assert rejected.reason.startswith("Insufficient funds. Required margin is 95417.84")
    assert (rejected.validity, rejected.quantity, rejected.price) == (
        Validity.TTL,
        200,
        Decimal(463),
    )
    assert rejected.updated_ts == rejected.created_ts == ist(2022, 5, 24, 12, 26, 52)

    gold = orders[4]
    assert gold.client_order_id == "connect test order1"
    assert (gold.instrument.key, gold.average_price) == ("MCX:GOLDPETAL21JUNFUT", Decimal(4852))
    assert orders[5].client_order_id == "connect test order2"
    assert orders[7].product is Product.CNC  # MTF is delivery bought on margin
    assert orders[8].average_price == Decimal("156.7") and orders[8].price == Decimal("159.82")
    option = orders[9]
    assert option.instrument.instrument_type is InstrumentType.CE
    assert (option.quantity, option.filled_quantity, option.average_price) == (
        150,
        150,
        Decimal("12.3"),
    )
    bhel = orders[6]  # an auction order: not in our master, shown as a plain NSE equity
    assert (bhel.instrument.key, bhel.instrument.instrument_type) == ("NSE:BHEL", InstrumentType.EQ)


def test_an_orders_history_walks_through_kites_interim_statuses(master: InstrumentMaster) -> None:
    rows = load("order_info.json")
    history = [order_from_kite(row, master) for row in rows]
    assert [row["status"] for row in rows] == [
        "PUT ORDER REQ RECEIVED",
        "VALIDATION PENDING",
        "OPEN PENDING",
        "OPEN",
        "MODIFY VALIDATION PENDING",
        "MODIFY PENDING",
        "MODIFIED",
        "OPEN",
    ]
    assert [o.status for o in history] == [OrderStatus.OPEN] * 4 + [
        OrderStatus.PENDING_MODIFY,
        OrderStatus.PENDING_MODIFY,
        OrderStatus.OPEN,
        OrderStatus.OPEN,
    ]
    assert {o.broker_order_id for o in history} == {"171229000724687"}
    assert [o.price for o in history][-2:] == [Decimal(300), Decimal("300.1")]
    assert history[0].updated_ts == ist(2017, 12, 29, 11, 6, 52)
    assert history[-1].updated_ts == ist(2017, 12, 29, 11, 8, 16)
    assert history[4].history[0].reason == "Kite status MODIFY VALIDATION PENDING"


def test_the_published_postback_reads_as_an_order(master: InstrumentMaster) -> None:
    order = order_from_kite(load("postback.json"), master)
    assert order.broker_order_id == "220303000308932"
    assert order.client_order_id == "kite:220303000308932"
    assert (order.instrument.key, order.side, order.order_type) == (
        "NSE:SBIN",
        Side.BUY,
        OrderType.MARKET,
    )
    assert (order.status, order.filled_quantity, order.average_price) == (
        OrderStatus.FILLED,
        1,
        Decimal(470),
    )
    assert order.price is None and order.trigger_price is None
    assert order.created_ts == order.updated_ts == ist(2022, 3, 3, 9, 24, 25)


@pytest.mark.parametrize(
    ("kite", "quantity", "filled", "ours"),
    [
        ("PUT ORDER REQ RECEIVED", 10, 0, OrderStatus.OPEN),
        ("PUT ORDER REQUEST RECEIVED", 10, 0, OrderStatus.OPEN),
        ("VALIDATION PENDING", 10, 0, OrderStatus.OPEN),
        ("OPEN PENDING", 10, 0, OrderStatus.OPEN),
        ("AMO REQ RECEIVED", 10, 0, OrderStatus.OPEN),
        ("OPEN", 10, 0, OrderStatus.OPEN),
        ("OPEN", 10, 3, OrderStatus.PARTIALLY_FILLED),
        ("UPDATE", 10, 3, OrderStatus.PARTIALLY_FILLED),
        ("MODIFIED", 10, 0, OrderStatus.OPEN),
        ("MODIFY VALIDATION PENDING", 10, 3, OrderStatus.PENDING_MODIFY),
        ("MODIFY PENDING", 10, 0, OrderStatus.PENDING_MODIFY),
        ("TRIGGER PENDING", 10, 0, OrderStatus.TRIGGER_PENDING),
        ("CANCEL PENDING", 10, 3, OrderStatus.PENDING_CANCEL),
        ("COMPLETE", 10, 10, OrderStatus.FILLED),
        ("CANCELLED", 10, 3, OrderStatus.CANCELLED),
        ("REJECTED", 10, 0, OrderStatus.REJECTED),
        ("open", 10, 0, OrderStatus.OPEN),
        ("SOMETHING NEW", 10, 0, OrderStatus.UNKNOWN),
    ],
)
def test_status_table(kite: str, quantity: int, filled: int, ours: OrderStatus) -> None:
    assert order_status(kite, quantity, filled) is ours


def test_every_status_in_the_table_is_a_real_domain_status() -> None:
    assert set(KITE_STATUS.values()) <= set(OrderStatus)
    assert OrderStatus.UNKNOWN not in KITE_STATUS.values()


def kite_row(**changes: Any) -> dict[str, Any]:
    row = dict(load("postback.json"))
    row.update(changes)
    return row


def test_partial_fills_cancels_and_unknown_statuses(master: InstrumentMaster) -> None:
    partial = order_from_kite(
        kite_row(status="OPEN", order_type="LIMIT", price=470.5, quantity=10, filled_quantity=4),
        master,
    )
    assert (partial.status, partial.filled_quantity, partial.price) == (
        OrderStatus.PARTIALLY_FILLED,
        4,
        Decimal("470.5"),
    )
    cancelled = order_from_kite(
        kite_row(status="CANCELLED", quantity=10, filled_quantity=4, tag="SB000012"), master
    )
    assert (cancelled.status, cancelled.filled_quantity, cancelled.client_order_id) == (
        OrderStatus.CANCELLED,
        4,
        "SB000012",
    )
    new = order_from_kite(kite_row(status="LAPSED", status_message="expired"), master)
    assert new.status is OrderStatus.UNKNOWN
    assert new.reason == "unrecognised Kite status 'LAPSED': expired"
    stop = order_from_kite(
        kite_row(status="TRIGGER PENDING", order_type="SL-M", trigger_price=465.05), master
    )
    assert (stop.status, stop.trigger_price, stop.price) == (
        OrderStatus.TRIGGER_PENDING,
        Decimal("465.05"),
        None,
    )
    cover = order_from_kite(kite_row(product="CO"), master)
    assert cover.product is Product.MIS


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"order_id": None}, "Kite order row: no order_id"),
        ({"quantity": None}, "Kite order 220303000308932: quantity None is not a whole number"),
        ({"price": "abc"}, "Kite order 220303000308932: price 'abc' is not a number"),
        ({"order_type": "STOP"}, "order_type 'STOP' is not a valid OrderType"),
        ({"product": "XYZ"}, "product 'XYZ' is not a valid Product"),
        ({"exchange": "BCD"}, "exchange 'BCD' .* is not one scalpbot trades"),
        ({"order_timestamp": "yesterday"}, "order_timestamp: 'yesterday' is not a time"),
        ({"order_type": "LIMIT", "price": None}, "LIMIT order needs a price"),
    ],
)
def test_a_malformed_order_row_is_a_data_error(
    master: InstrumentMaster, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        order_from_kite(kite_row(**changes), master)


# -- trades ---------------------------------------------------------------------------------


def test_the_published_trades(master: InstrumentMaster) -> None:
    fills = [fill_from_kite(row, master) for row in load("trades.json")]
    assert [(f.fill_id, f.client_order_id, f.broker_order_id) for f in fills] == [
        ("kite:10000000", "kite:200000000000000", "200000000000000"),
        ("kite:40000000", "kite:500000000000000", "500000000000000"),
        ("kite:70000000", "kite:800000000000000", "800000000000000"),
        ("kite:90000000", "kite:1100000000000000", "1100000000000000"),
    ]
    sbin, usdinr, gold, _ = fills
    assert (sbin.instrument.key, sbin.side, sbin.quantity, sbin.price, sbin.product) == (
        "NSE:SBIN",
        Side.BUY,
        1,
        Decimal("420.65"),
        Product.CNC,
    )
    assert sbin.ts == ist(2021, 5, 31, 9, 16, 39)
    assert (usdinr.instrument.key, usdinr.price, usdinr.product) == (
        "CDS:USDINR21JUNFUT",
        Decimal("72.755"),
        Product.MIS,
    )
    assert gold.price == Decimal(4852) and gold.ts == ist(2021, 5, 31, 16, 0, 36)
    assert sbin.charges == 0


def test_order_trades_take_our_client_id_from_the_tag_map(master: InstrumentMaster) -> None:
    (fill,) = [
        fill_from_kite(row, master, {"200000000000000": "SB000007"})
        for row in load("order_trades.json")
    ]
    assert (fill.fill_id, fill.client_order_id, fill.broker_order_id) == (
        "kite:10000000",
        "SB000007",
        "200000000000000",
    )
    assert (fill.instrument.key, fill.quantity, fill.price, fill.product) == (
        "MCX:GOLDPETAL21JUNFUT",
        1,
        Decimal(4852),
        Product.NRML,
    )
    with pytest.raises(DataError, match="Kite trade 1: quantity must be positive, got 0"):
        fill_from_kite({**load("order_trades.json")[0], "trade_id": 1, "quantity": 0}, master)


# -- portfolio and account ------------------------------------------------------------------


def test_the_published_positions(master: InstrumentMaster) -> None:
    data = load("positions.json")
    lead, guinea, sbin = [position_from_kite(row, master) for row in data["net"]]
    assert (lead.instrument.key, lead.product, lead.quantity) == (
        "MCX:LEADMINI17DECFUT",
        Product.NRML,
        1,
    )
    assert (lead.average_price, lead.last_price, lead.realised_pnl, lead.net_pnl) == (
        Decimal("161.05"),
        Decimal("161.05"),
        0,
        0,
    )
    # Closed today: Kite files the 801 under unrealised; for a flat position it is realised.
    assert (guinea.quantity, guinea.realised_pnl, guinea.unrealised_pnl) == (0, Decimal(801), 0)
    assert guinea.instrument.instrument_type is InstrumentType.EQ  # not in the master
    assert (sbin.product, sbin.quantity, sbin.net_pnl) == (Product.MIS, 0, Decimal(-2))  # CO
    day_guinea = position_from_kite(data["day"][0], master)
    assert (day_guinea.quantity, day_guinea.side, day_guinea.cost_basis) == (
        -3,
        Side.SELL,
        Decimal(70020),
    )
    # Short 3 at 23340, last 23355: -45 open; bought 1 at 23388 against a 23340 sale: -48.
    assert (day_guinea.unrealised_pnl, day_guinea.realised_pnl) == (Decimal(-45), Decimal(-48))
    assert day_guinea.net_pnl == Decimal(-93)  # Kite's pnl


def test_the_published_holdings(master: InstrumentMaster) -> None:
    aaron, sbin = [holding_from_kite(row, master) for row in load("holdings.json")]
    assert (aaron.instrument.key, aaron.product, aaron.quantity, aaron.average_price) == (
        "NSE:AARON",
        Product.CNC,
        1,
        Decimal(161),
    )
    assert (aaron.last_price, aaron.unrealised_pnl, aaron.realised_pnl) == (
        Decimal("352.95"),
        Decimal("191.95"),
        0,
    )
    assert (sbin.instrument.key, sbin.quantity, sbin.average_price) == (
        "BSE:SBIN",
        16,
        Decimal("801.78125"),
    )
    assert sbin.unrealised_pnl == Decimal("-629.3") and sbin.realised_pnl == 0


def test_the_published_margins() -> None:
    both = load("margins.json")
    assert funds_from_kite(both) == Funds(
        available_cash=Decimal("99725.05"),
        used_margin=Decimal("145706.55"),
        total_balance=Decimal("245431.60"),
        segment="equity",
    )
    assert funds_from_kite(both, "Commodity") == Funds(
        Decimal("100661.7"), Decimal(0), Decimal("100661.7"), "commodity"
    )
    assert funds_from_kite(load("margins_equity.json")) == funds_from_kite(both)
    with pytest.raises(ConfigError, match="'equity' or 'commodity', not 'fno'"):
        funds_from_kite(both, "fno")
    with pytest.raises(DataError, match="Kite's margins have no commodity segment"):
        funds_from_kite({"equity": both["equity"]}, "commodity")


def test_the_published_profiles() -> None:
    assert profile_from_kite(load("profile.json")) == Profile(
        user_id="AB1234",
        user_name="AxAx Bxx",
        email="xxxyyy@gmail.com",
        broker="zerodha",
        exchanges=("BFO", "MCX", "NSE", "CDS", "BSE", "BCD", "MF", "NFO"),
        products=("CNC", "NRML", "MIS", "BO", "CO"),
    )
    full = profile_from_kite(load("full_profile.json"))
    assert (full.user_id, full.exchanges) == (
        "AB1234",
        ("MF", "BCD", "BSE", "BFO", "NFO", "CDS", "NSE"),
    )
    with pytest.raises(DataError, match="Kite profile: no user_id"):
        profile_from_kite({"user_name": "x"})


# -- market data ----------------------------------------------------------------------------


def test_the_published_full_quote() -> None:
    quote = quote_from_kite("NSE:INFY", load("quote.json")["NSE:INFY"])
    assert (quote.instrument_key, quote.last_price, quote.volume) == (
        "NSE:INFY",
        Decimal("1412.95"),
        7360198,
    )
    assert quote.ts == ist(2021, 6, 8, 15, 45, 56)
    assert (quote.open, quote.high, quote.low, quote.close) == (
        Decimal(1396),
        Decimal("1421.75"),
        Decimal("1395.55"),
        Decimal("1389.65"),
    )
    assert quote.depth == {"buy": [], "sell": [(Decimal("1412.95"), 5191, 13)]}
    assert (quote.bid, quote.ask) == (None, Decimal("1412.95"))


def test_the_published_ohlc_and_ltp() -> None:
    ohlc = quote_from_kite("NSE:INFY", load("ohlc.json")["NSE:INFY"])
    assert (ohlc.last_price, ohlc.open, ohlc.high, ohlc.low, ohlc.close) == (
        Decimal(1075),
        Decimal("1085.8"),
        Decimal("1085.9"),
        Decimal("1070.9"),
        Decimal("1075.8"),
    )
    assert (ohlc.ts, ohlc.volume, ohlc.depth, ohlc.bid) == (0, 0, {}, None)
    ltp = quote_from_kite("NSE:INFY", load("ltp.json")["NSE:INFY"])
    assert (ltp.last_price, ltp.open) == (Decimal("1074.35"), None)
    with pytest.raises(DataError, match="Kite quote NSE:INFY: no last_price"):
        quote_from_kite("NSE:INFY", {"instrument_token": 408065})


def test_the_published_candles() -> None:
    bars = bars_from_candles("NSE:INFY", load("historical_minute.json")["candles"])
    assert len(bars) == 6
    assert bars[0] == Bar(
        "NSE:INFY", ist(2017, 12, 15, 9, 15), 1704.5, 1705.0, 1699.25, 1702.8, 2499
    )
    assert bars[-1] == Bar("NSE:INFY", ist(2017, 12, 15, 9, 20), 1699.8, 1700, 1696.55, 1696.9, 802)
    with_oi = bars_from_candles("NFO:NIFTY19DECFUT", load("historical_oi.json")["candles"])
    assert with_oi[0] == Bar(
        "NFO:NIFTY19DECFUT", ist(2019, 12, 4, 9, 15), 12009.9, 12019.35, 12001.25, 12001.5, 163275
    )
    assert [b.ts for b in with_oi] == [ist(2019, 12, 4, 9, 15 + i) for i in range(6)]


@pytest.mark.parametrize(
    ("candle", "message"),
    [
        (["2017-12-15T09:15:00+0530", 1, 2, 3], "Kite candle 0 of K: expected \\[time, open"),
        (["later", 1, 2, 3, 4, 5], "Kite candle 0 of K: 'later' is not a time"),
        ([None, 1, 2, 3, 4, 5], "Kite candle 0 of K: no time"),
        (["2017-12-15T09:15:00+0530", 1, "x", 3, 4, 5], "must be numbers"),
        (["2017-12-15T09:15:00+0530", 1, float("nan"), 3, 4, 5], "must be numbers"),
    ],
)
def test_a_bad_candle_is_a_data_error(candle: list[Any], message: str) -> None:
    with pytest.raises(DataError, match=message):
        bars_from_candles("K", [candle])


# -- the order form -------------------------------------------------------------------------

BASE: dict[str, Any] = {
    "tradingsymbol": "RELIANCE",
    "exchange": "NSE",
    "transaction_type": "BUY",
    "quantity": 1,
    "product": "MIS",
    "order_type": "MARKET",
}


def form(**changes: Any) -> dict[str, str]:
    return order_params(**{**BASE, **changes})


def test_a_market_order_form() -> None:
    assert form(market_protection=-1, tag="SB000001", algo_id="ALGO123") == {
        "tradingsymbol": "RELIANCE",
        "exchange": "NSE",
        "transaction_type": "BUY",
        "order_type": "MARKET",
        "quantity": "1",
        "product": "MIS",
        "validity": "DAY",
        "market_protection": "-1",
        "tag": "SB000001",
        "algo_id": "ALGO123",
    }
    assert "market_protection" not in form()  # None leaves it out (the caller decides)
    assert form(market_protection=Decimal("2.50"))["market_protection"] == "2.5"


def test_priced_orders_take_enums_and_decimal_strings() -> None:
    limit = form(
        exchange=Exchange.NFO,
        transaction_type=Side.SELL,
        order_type=OrderType.LIMIT,
        product=Product.NRML,
        price=Decimal("1412.95"),
        quantity=75,
        validity=Validity.IOC,
        disclosed_quantity=15,
    )
    assert limit == {
        "tradingsymbol": "RELIANCE",
        "exchange": "NFO",
        "transaction_type": "SELL",
        "order_type": "LIMIT",
        "quantity": "75",
        "product": "NRML",
        "validity": "IOC",
        "price": "1412.95",
        "disclosed_quantity": "15",
    }
    stop = form(order_type="SL", price=1399.5, trigger_price="1400.05", transaction_type="sell")
    assert (stop["price"], stop["trigger_price"]) == ("1399.5", "1400.05")
    stop_market = form(order_type="sl-m", trigger_price=Decimal("1380.00"), market_protection=5)
    assert stop_market["trigger_price"] == "1380.00" and stop_market["market_protection"] == "5"
    assert "price" not in stop_market
    ttl = form(order_type="LIMIT", price=100, validity="TTL", validity_ttl=2)
    assert (ttl["validity"], ttl["validity_ttl"], ttl["price"]) == ("TTL", "2", "100")
    iceberg = form(
        order_type="LIMIT", price=463, quantity=1000, iceberg_legs=5, iceberg_quantity=200
    )
    assert (iceberg["iceberg_legs"], iceberg["iceberg_quantity"]) == ("5", "200")
    assert "variety" not in iceberg  # the URL carries it


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"order_type": "LIMIT"}, "a LIMIT order needs a price"),
        ({"order_type": "SL", "price": 10}, "a SL order needs a trigger_price"),
        ({"order_type": "SL-M"}, "a SL-M order needs a trigger_price"),
        ({"price": 10}, r"a MARKET order takes no price \(got 10\)"),
        ({"order_type": "LIMIT", "price": 10, "trigger_price": 9}, "LIMIT order takes no trigger"),
        (
            {"order_type": "SL", "price": 10, "trigger_price": 11},
            "an SL BUY order's trigger_price 11 may not be above its price 10",
        ),
        (
            {"order_type": "SL", "price": 10, "trigger_price": 9, "transaction_type": "SELL"},
            "an SL SELL order's trigger_price 9 may not be below its price 10",
        ),
        ({"order_type": "LIMIT", "price": 0}, "price must be a positive price, got 0"),
        ({"order_type": "LIMIT", "price": "ten"}, "price 'ten' is not a number"),
        ({"quantity": 0}, "quantity must be a whole number above 0, got 0"),
        ({"quantity": True}, "quantity must be a whole number above 0, got True"),
        ({"quantity": 1.5}, "quantity must be a whole number above 0, got 1.5"),
        ({"tag": "A" * 21}, "order tag 'A{21}' must be 1 to 20 letters and digits"),
        ({"tag": "my-tag"}, "order tag 'my-tag' must be 1 to 20 letters and digits"),
        ({"tradingsymbol": " "}, "order has no tradingsymbol"),
        ({"exchange": "NYSE"}, "exchange: 'NYSE' is not a valid Exchange"),
        ({"product": "CO"}, "product: 'CO' is not a valid Product"),
        ({"transaction_type": "HOLD"}, "transaction_type: 'HOLD' is not a valid Side"),
        ({"validity": "GTC"}, "validity: 'GTC' is not a valid Validity"),
        ({"validity": "TTL"}, r"TTL validity needs validity_ttl \(minutes\)"),
        ({"validity_ttl": 5}, "validity_ttl applies to TTL validity only, not DAY"),
        ({"validity": "TTL", "validity_ttl": 0}, "validity_ttl must be a whole number above 0"),
        ({"market_protection": 0}, "market_protection must be -1 .* got 0"),
        ({"market_protection": 101}, "market_protection must be -1 .* got 101"),
        ({"market_protection": -2}, "market_protection must be -1 .* got -2"),
        (
            {"order_type": "LIMIT", "price": 10, "market_protection": -1},
            "market_protection applies to MARKET and SL-M orders, not LIMIT",
        ),
        ({"disclosed_quantity": 5, "quantity": 2}, "disclosed_quantity 5 exceeds the quantity 2"),
        ({"iceberg_legs": 2}, "needs both iceberg_legs and iceberg_quantity"),
        ({"iceberg_quantity": 2}, "needs both iceberg_legs and iceberg_quantity"),
        (
            {"iceberg_legs": 1, "iceberg_quantity": 1, "quantity": 10},
            "iceberg_legs must be 2 to 50, got 1",
        ),
        (
            {"iceberg_legs": 51, "iceberg_quantity": 1, "quantity": 100},
            "iceberg_legs must be 2 to 50, got 51",
        ),
        (
            {"iceberg_legs": 2, "iceberg_quantity": 20, "quantity": 10},
            "iceberg_quantity 20 exceeds the quantity 10",
        ),
    ],
)
def test_a_bad_order_is_rejected_before_sending(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(OrderRejected, match=message):
        form(**changes)
