"""ZerodhaBroker against a loopback Kite server: the issue's usage example, orders (tags, market
protection, algo id, tick rounding), lost order replies resolved by tag and never resent, the
order book, account and market calls, the instrument master's daily cache, and postbacks."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scalpbot.brokers import create_broker, supported_brokers
from scalpbot.brokers.paper.account import PaperAccount
from scalpbot.domain import (
    IST,
    BrokerUnavailable,
    ConfigError,
    DataError,
    InstrumentNotFound,
    OrderRejected,
    OrderStatus,
    SessionExpired,
)
from zerodha_mock_server import DATA, FakeClock, Fault, KiteMock, kite_error
from zerodha_mock_support import LOST_REPLIES, LOST_REPLY_IDS, RETRY, broker_on


@pytest.fixture
def mock() -> Iterator[KiteMock]:
    with KiteMock() as server:
        yield server


make = broker_on


def placed(mock: KiteMock, variety: str = "regular") -> list[dict[str, str]]:
    return [r.form for r in mock.calls("POST", f"/orders/{variety}")]


def test_the_issues_example_works_as_written(
    mock: KiteMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = create_broker(
        broker_name="zerodha",
        api_key=mock.api_key,
        api_secret=mock.api_secret,
        base_url=mock.url,
        login_url=mock.url,
        token_file=tmp_path / "token.json",
    )
    redirected = f"http://127.0.0.1:5000/cb?status=success&request_token={mock.request_token}"
    monkeypatch.setattr(sys, "stdin", io.StringIO(redirected + "\n"))
    broker.interactive_login()
    quote = broker.get_quote("RELIANCE", "NSE")
    assert quote.instrument_key == "NSE:RELIANCE"
    assert quote.last_price == Decimal("1412.95")
    order_id = broker.place_order(
        symbol="RELIANCE",
        exchange="NSE",
        transaction_type="BUY",
        quantity=1,
        order_type="MARKET",
        product="MIS",
    )
    assert order_id == mock.orders[-1]["order_id"]
    (form,) = placed(mock)
    assert form["tradingsymbol"] == "RELIANCE" and form["exchange"] == "NSE"
    assert form["transaction_type"] == "BUY" and form["quantity"] == "1"
    assert form["order_type"] == "MARKET" and form["product"] == "MIS"
    assert form["market_protection"] == "-1"
    assert 0 < len(form["tag"]) <= 20 and form["tag"].isalnum()
    assert "algo_id" not in form
    (quote_call,) = mock.calls("GET", "/quote")
    assert quote_call.query == [("i", "NSE:RELIANCE")]


def test_registry_names_and_refusals() -> None:
    assert supported_brokers() == ["paper", "zerodha"]
    account = create_broker("paper", capital=Decimal(50000))
    assert isinstance(account, PaperAccount)
    assert account.get_funds().available_cash == Decimal(50000)
    assert isinstance(create_broker(" Paper "), PaperAccount)
    with pytest.raises(ConfigError, match="unknown broker 'upstox'; supported: paper, zerodha"):
        create_broker("upstox", api_key="k")
    with pytest.raises(ConfigError, match="does not take api_sekret"):
        create_broker("zerodha", api_key="k", api_sekret="s")
    with pytest.raises(ConfigError, match="api_key is empty"):
        create_broker("zerodha", api_key=" ")


def test_tag_price_tick_algo_id_and_variety(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path, algo_id="ALGO42")
    broker.place_order(
        symbol="INFY",
        exchange="NSE",
        transaction_type="SELL",
        quantity=5,
        order_type="LIMIT",
        product="CNC",
        price=1500.03,
        validity="DAY",
        tag="SB000001",
    )
    broker.place_order(
        symbol="NSE:INFY",
        exchange="NSE",
        transaction_type="BUY",
        quantity=5,
        order_type="SL-M",
        trigger_price=Decimal("1490.12"),
        variety="amo",
        tag="SB000002",
    )
    (limit,) = placed(mock)
    assert limit["tag"] == "SB000001" and limit["price"] == "1500.05"  # on the 0.05 tick
    assert limit["algo_id"] == "ALGO42" and "market_protection" not in limit
    (stop,) = placed(mock, "amo")
    assert stop["trigger_price"] == "1490.10" and stop["market_protection"] == "-1"
    with pytest.raises(OrderRejected, match="unknown order variety 'bracket'"):
        broker.place_order(
            symbol="INFY", exchange="NSE", transaction_type="BUY", quantity=1, variety="bracket"
        )
    with pytest.raises(InstrumentNotFound, match="NSE:NOSUCH"):
        broker.place_order(symbol="NOSUCH", exchange="NSE", transaction_type="BUY", quantity=1)
    assert len(mock.calls("POST")) == 2


def test_a_rejected_order_says_why_and_is_sent_once(mock: KiteMock, tmp_path: Path) -> None:
    message = "Your order price is lower than the current lower circuit limit of 1250.70."
    mock.fail("POST", "/orders/regular", Fault(400, kite_error("OrderException", message)))
    broker = make(mock, tmp_path)
    with pytest.raises(OrderRejected, match="lower circuit limit"):
        broker.place_order(symbol="INFY", exchange="NSE", transaction_type="BUY", quantity=1)
    assert len(placed(mock)) == 1


@pytest.mark.parametrize("fault", LOST_REPLIES, ids=LOST_REPLY_IDS)
def test_a_lost_order_reply_is_resolved_by_tag(
    mock: KiteMock, tmp_path: Path, fault: Fault
) -> None:
    mock.fail("POST", "/orders/regular", fault)
    broker = make(mock, tmp_path, timeout=0.3)
    order_id = broker.place_order(
        symbol="INFY", exchange="NSE", transaction_type="BUY", quantity=1, tag="SB000777"
    )
    assert order_id == mock.orders[-1]["order_id"] and mock.orders[-1]["tag"] == "SB000777"
    assert len(placed(mock)) == 1  # never sent again
    assert len(mock.calls("GET", "/orders")) >= 1


def test_an_order_not_found_after_the_polls_is_reported_unknown(
    mock: KiteMock, tmp_path: Path
) -> None:
    mock.fail("POST", "/orders/regular", Fault(504, text="gateway timeout"))  # not taken
    clock = FakeClock()
    broker = make(mock, tmp_path, clock=clock)
    with pytest.raises(BrokerUnavailable, match=r"state is unknown.*NOT sent again"):
        broker.place_order(
            symbol="INFY", exchange="NSE", transaction_type="BUY", quantity=1, tag="SB000888"
        )
    assert len(placed(mock)) == 1
    assert len(mock.calls("GET", "/orders")) == 3
    assert clock.sleeps.count(RETRY.resolve_delay_s) == 2


def test_the_order_book_is_mapped(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)
    orders = broker.get_orders()
    assert len(orders) == 10
    assert orders[0].broker_order_id == "100000000000000"
    assert orders[0].status is OrderStatus.CANCELLED
    tagged = broker.find_order_by_tag("connect test order1")
    assert tagged is not None and tagged.client_order_id == "connect test order1"
    assert broker.find_order_by_tag("nosuchtag") is None
    history = broker.get_order_history("171229000724687")
    assert len(history) == 8 and {o.broker_order_id for o in history} == {"171229000724687"}
    trades = broker.get_trades()
    assert len(trades) == 4 and all(f.fill_id.startswith("kite:") for f in trades)
    assert broker.get_order_trades("100000000000000")[0].quantity == 1
    with pytest.raises(OrderRejected, match="not a Kite order id"):
        broker.get_order_history("../user/profile")


def test_modify_and_cancel_find_the_variety(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)
    order_id = broker.place_order(
        symbol="SBIN", exchange="NSE", transaction_type="BUY", quantity=2, order_type="LIMIT",
        price=470, variety="iceberg", iceberg_legs=2, iceberg_quantity=1,
    )  # fmt: skip
    assert broker.modify_order(order_id, price=471.5, quantity=3) == order_id
    (put,) = mock.calls("PUT", f"/orders/iceberg/{order_id}")
    assert put.form == {"price": "471.5", "quantity": "3"}
    assert broker.cancel_order(order_id) == order_id
    assert mock.calls("DELETE", f"/orders/iceberg/{order_id}")
    with pytest.raises(OrderRejected, match="nothing to change"):
        broker.modify_order(order_id, variety="regular")
    assert len(mock.calls("PUT")) == 1


def test_cancel_all_cancels_only_working_orders(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)
    first = broker.place_order(
        symbol="INFY", exchange="NSE", transaction_type="BUY", quantity=1, tag="A1"
    )
    second = broker.place_order(
        symbol="SBIN", exchange="NSE", transaction_type="BUY", quantity=1, tag="A2", variety="amo"
    )
    assert broker.cancel_all_orders() == [first, second]
    deleted = {r.path for r in mock.calls("DELETE")}
    assert deleted == {f"/orders/regular/{first}", f"/orders/amo/{second}"}


def test_account_and_market_calls(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)
    assert broker.get_profile().user_id == "AB1234"
    assert broker.get_funds().available_cash >= 0
    assert len(broker.get_positions()) == 3
    assert broker.get_positions("day") is not None
    with pytest.raises(ConfigError, match="'net' or 'day'"):
        broker.get_positions("week")
    assert len(broker.get_holdings()) == 2
    assert broker.get_ltp("INFY") == Decimal("1074.35")
    assert broker.get_ohlc("INFY", "NSE").last_price == Decimal(1075)
    assert [i.key for i in broker.get_instruments("NSE")][-3:] == [
        "NSE:RELIANCE",
        "NSE:INFY",
        "NSE:SBIN",
    ]
    assert broker.instrument("NSE:RELIANCE").tick_size == Decimal("0.1")
    with pytest.raises(InstrumentNotFound):
        broker.get_quote("NOSUCH")


def test_historical_data_is_paged_into_bars(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)
    start = datetime(2017, 12, 15, 9, 0, tzinfo=IST)
    bars = broker.get_historical_data("INFY", "NSE", "minute", start, start + timedelta(hours=1))
    assert len(bars) == 6 and bars[0].instrument_key == "NSE:INFY"
    assert bars[0].open == 1704.5 and bars[0].volume == 2499
    long = broker.get_historical_data(
        "INFY", "NSE", "day", datetime(2018, 1, 1), datetime(2031, 1, 1)
    )
    assert len(long) == len(mock.calls("GET", "/instruments/historical/408065/day")) == 3
    with pytest.raises(ConfigError, match="unknown candle interval"):
        broker.get_historical_data("INFY", "NSE", "2minute", start, start)


def test_the_instrument_master_is_cached_for_the_day(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)
    assert mock.calls("GET", "/instruments") == []  # nothing until it is needed
    broker.instrument("INFY")
    broker.instrument("SBIN")
    assert len(mock.calls("GET", "/instruments")) == 1
    cache = tmp_path / "instruments.csv"
    assert cache.exists()
    make(mock, tmp_path).instrument("INFY")  # fresh cache: no download
    assert len(mock.calls("GET", "/instruments")) == 1
    yesterday = time.time() - 2 * 86400
    os.utime(cache, (yesterday, yesterday))
    make(mock, tmp_path).instrument("INFY")  # stale: downloaded again
    assert len(mock.calls("GET", "/instruments")) == 2


def test_a_failed_download_keeps_the_cached_master(mock: KiteMock, tmp_path: Path) -> None:
    make(mock, tmp_path).instrument("INFY")
    cache = tmp_path / "instruments.csv"
    yesterday = time.time() - 2 * 86400
    os.utime(cache, (yesterday, yesterday))
    mock.fail("GET", "/instruments", *[Fault(503, text="down")] * 3)
    assert make(mock, tmp_path).instrument("INFY").symbol == "INFY"
    mock.instruments_csv = mock.instruments_csv.splitlines(keepends=True)[0]  # empty download
    assert make(mock, tmp_path).refresh_instruments().get("NSE:INFY").token == 408065


def test_expired_session_stops_new_orders(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path, access_token="expiredtoken")
    broker.instruments_cache = None
    with pytest.raises(SessionExpired, match="scalpbot login zerodha"):
        broker.get_profile()
    with pytest.raises(SessionExpired, match="scalpbot login zerodha"):
        broker.place_order(symbol="INFY", exchange="NSE", transaction_type="BUY", quantity=1)
    assert mock.calls("POST") == []


def _postback(secret: str, **changes: Any) -> bytes:
    row = json.loads((DATA / "postback.json").read_text())
    row.update(changes)
    text = row["order_id"] + row["order_timestamp"] + secret
    row["checksum"] = hashlib.sha256(text.encode()).hexdigest()
    return json.dumps(row).encode()


def test_postbacks_are_verified(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)
    order = broker.parse_postback(_postback(mock.api_secret))
    assert order.broker_order_id == "220303000308932" and order.status is OrderStatus.FILLED
    with pytest.raises(DataError, match="bad checksum"):
        broker.parse_postback(_postback("another secret"))
    forged = json.loads(_postback(mock.api_secret))
    forged["filled_quantity"] = 100
    forged["order_timestamp"] = "2022-03-03 09:24:26"
    with pytest.raises(DataError, match="bad checksum"):
        broker.parse_postback(json.dumps(forged))
    with pytest.raises(DataError, match="not a Kite order update"):
        broker.parse_postback(b"[]")


def test_stream_hands_out_a_ticker_client(mock: KiteMock, tmp_path: Path) -> None:
    pytest.importorskip("scalpbot.brokers.zerodha.ticker_client")

    class Handler:
        def on_ticks(self, ticks: list[Any]) -> None: ...
        def on_order(self, order: Any) -> None: ...
        def on_status(self, connected: bool, message: str) -> None: ...

    broker = make(mock, tmp_path, ws_url="ws://127.0.0.1:1/ws")
    client = broker.stream(Handler())
    assert type(client).__name__ == "KiteTickerClient"
    assert mock.access_token not in repr(client)


def test_no_secret_in_reprs_or_errors(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)
    leak = f"{mock.access_token}/{mock.api_secret}"
    mock.fail("GET", "/user/profile", Fault(400, kite_error("InputException", leak)))
    with pytest.raises(Exception) as info:
        broker.get_profile()
    for secret in (mock.access_token, mock.api_secret):
        assert secret not in str(info.value)
        assert secret not in repr(broker)
