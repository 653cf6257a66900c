"""The Kite sandbox speaks Kite Connect v3: Zerodha's own client works against it unchanged."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import httpx
import pytest
from kiteconnect import KiteConnect, exceptions

from sandbox_support import (
    API_KEY,
    API_SECRET,
    control,
    redirected_login_url,
    running_sandbox,
    wait_until,
)
from scalpbot.sandbox.zerodha.server import SandboxServer


@pytest.fixture()
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox() as server:
        yield server


def _kite(server: SandboxServer) -> KiteConnect:
    kite = KiteConnect(API_KEY, root=server.http_url)
    token = redirected_login_url(server).split("request_token=")[1].split("&")[0]
    session = kite.generate_session(token, API_SECRET)
    kite.set_access_token(session["access_token"])
    return kite


def test_the_official_client_logs_in_and_reads_the_account(sandbox: SandboxServer) -> None:
    kite = _kite(sandbox)
    assert kite.profile()["user_id"] == "SB0001"
    assert kite.margins()["equity"]["net"] == 1_000_000.0
    assert kite.margins("equity")["enabled"] is True
    assert kite.holdings() == []
    instruments = kite.instruments()
    infy = next(i for i in instruments if i["tradingsymbol"] == "INFY")
    assert (infy["exchange"], infy["tick_size"], infy["lot_size"]) == ("NSE", 0.1, 1)
    nifty = next(i for i in kite.instruments("NFO"))
    assert nifty["instrument_type"] == "FUT" and nifty["lot_size"] == 65 and nifty["expiry"]
    quote = kite.quote("NSE:INFY")["NSE:INFY"]
    assert quote["instrument_token"] == infy["instrument_token"]
    assert len(quote["depth"]["buy"]) == 5
    assert kite.ltp("NSE:INFY")["NSE:INFY"]["last_price"] == quote["last_price"]
    assert set(kite.ohlc("NSE:INFY")["NSE:INFY"]["ohlc"]) == {"open", "high", "low", "close"}
    candles = kite.historical_data(
        infy["instrument_token"], dt.datetime(2026, 11, 20, 9, 15), dt.datetime(2026, 11, 21),
        "minute",
    )  # fmt: skip
    assert len(candles) == 375 and candles[0]["date"].hour == 9
    with pytest.raises(exceptions.InputException, match="max limit"):
        kite.historical_data(
            infy["instrument_token"], dt.datetime(2026, 1, 1), dt.datetime(2026, 6, 1), "minute"
        )


def test_the_official_client_places_modifies_and_cancels(sandbox: SandboxServer) -> None:
    kite = _kite(sandbox)
    market = kite.place_order(
        "regular", "NSE", "INFY", "BUY", 5, "MIS", "MARKET", tag="T1", market_protection=-1
    )
    history = kite.order_history(market)
    assert history[-1]["status"] == "COMPLETE" and history[-1]["tag"] == "T1"
    assert kite.order_trades(market)[0]["quantity"] == 5
    assert kite.positions()["net"][0]["quantity"] == 5
    limit = kite.place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "LIMIT", price=1000)
    kite.modify_order("regular", limit, price=1000.5)
    assert kite.order_history(limit)[-1]["price"] == 1000.5
    kite.cancel_order("regular", limit)
    statuses = {o["order_id"]: o["status"] for o in kite.orders()}
    assert statuses == {market: "COMPLETE", limit: "CANCELLED"}
    assert len(kite.trades()) == 1
    with pytest.raises(exceptions.InputException, match="tick size"):
        kite.place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "LIMIT", price=1000.03)


def test_login_checks_the_checksum_and_uses_a_request_token_once(sandbox: SandboxServer) -> None:
    token = redirected_login_url(sandbox).split("request_token=")[1].split("&")[0]
    form = {"api_key": API_KEY, "request_token": token, "checksum": "0" * 64}
    reply = httpx.post(f"{sandbox.http_url}/session/token", data=form)
    assert reply.status_code == 403 and reply.json()["error_type"] == "TokenException"
    form["checksum"] = hashlib.sha256(f"{API_KEY}{token}{API_SECRET}".encode()).hexdigest()
    assert httpx.post(f"{sandbox.http_url}/session/token", data=form).status_code == 200
    assert httpx.post(f"{sandbox.http_url}/session/token", data=form).status_code == 403
    headers = {"X-Kite-Version": "3", "Authorization": f"token {API_KEY}:wrong"}
    assert httpx.get(f"{sandbox.http_url}/user/profile", headers=headers).status_code == 403


def test_matching_limit_stop_partial_and_ioc(sandbox: SandboxServer) -> None:
    kite = _kite(sandbox)
    control(sandbox, "market", {"paused": True})
    control(sandbox, "price", {"instrument": "NSE:SBIN", "price": "950"})
    limit = kite.place_order("regular", "NSE", "SBIN", "BUY", 10, "MIS", "LIMIT", price=940)
    stop = kite.place_order("regular", "NSE", "SBIN", "SELL", 10, "MIS", "SL-M", trigger_price=945)
    ioc = kite.place_order(
        "regular", "NSE", "SBIN", "BUY", 10, "MIS", "LIMIT", price=900, validity="IOC"
    )
    assert kite.order_history(limit)[-1]["status"] == "OPEN"
    assert kite.order_history(stop)[-1]["status"] == "TRIGGER PENDING"
    assert kite.order_history(ioc)[-1]["status"] == "CANCELLED"
    control(sandbox, "price", {"instrument": "NSE:SBIN", "price": "939"})
    assert kite.order_history(limit)[-1]["status"] == "COMPLETE"
    assert kite.order_history(limit)[-1]["average_price"] == 939.05
    assert kite.order_history(stop)[-1]["status"] == "COMPLETE"  # triggered below 945


def test_a_large_market_order_fills_in_parts(sandbox: SandboxServer) -> None:
    sandbox.state.book.liquidity = 100
    kite = _kite(sandbox)
    control(sandbox, "market", {"paused": True})  # no step may fill more before we look
    order = kite.place_order("regular", "NSE", "TCS", "BUY", 250, "MIS", "MARKET")
    first = kite.order_history(order)[-1]
    assert (first["status"], first["filled_quantity"]) == ("OPEN", 100)
    control(sandbox, "market", {"paused": False})
    wait_until(lambda: kite.order_history(order)[-1]["status"] == "COMPLETE")
    assert [t["quantity"] for t in kite.order_trades(order)] == [100, 100, 50]


def test_faults_on_demand(sandbox: SandboxServer) -> None:
    kite = _kite(sandbox)
    control(sandbox, "fault", {"kind": "http_429", "count": 1})
    with pytest.raises(exceptions.NetworkException):
        kite.profile()
    control(sandbox, "fault", {"kind": "http_5xx", "count": 1})
    with pytest.raises(exceptions.NetworkException):
        kite.orders()
    assert kite.profile()["user_id"] == "SB0001"
    control(sandbox, "fault", {"kind": "stall_order", "seconds": 2})
    stalled = KiteConnect(API_KEY, access_token=kite.access_token, root=sandbox.http_url,
                          timeout=0.5)  # fmt: skip
    with pytest.raises(Exception, match=r"(?i)timed? ?out"):
        stalled.place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "MARKET", tag="LOST1")
    assert control(sandbox, "orders")["by_tag"] == {"LOST1": 1}  # accepted though unanswered
    control(sandbox, "fault", {"kind": "expire_tokens"})
    with pytest.raises(exceptions.TokenException):
        kite.profile()
    reply = httpx.post(f"{sandbox.http_url}/sandbox/fault", json={"kind": "nonsense"})
    assert reply.status_code == 400 and "kinds:" in reply.json()["message"]


TICKER_SCRIPT = textwrap.dedent(
    """
    import sys, json
    from kiteconnect import KiteConnect, KiteTicker
    root, ws, token, instrument = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    seen = {"ticks": 0, "full": 0, "orders": 0}
    kws = KiteTicker("sandbox_key", token, root=ws)
    def on_connect(ws, response):
        ws.subscribe([instrument]); ws.set_mode(ws.MODE_FULL, [instrument])
        kite = KiteConnect("sandbox_key", access_token=token, root=root)
        kite.place_order("regular", "NSE", "INFY", "BUY", 1, "MIS", "MARKET", tag="WS1")
    def on_ticks(ws, ticks):
        seen["ticks"] += len(ticks)
        seen["full"] += sum(1 for t in ticks if t.get("mode") == "full" and t["depth"]["buy"])
        finish(ws)
    def on_order_update(ws, data):
        if data["tag"] == "WS1" and data["status"] == "COMPLETE":
            seen["orders"] += 1
        finish(ws)
    def finish(ws):
        if seen["full"] >= 3 and seen["orders"] >= 1:
            print(json.dumps(seen), flush=True)
            ws.stop()
    kws.on_connect, kws.on_ticks, kws.on_order_update = on_connect, on_ticks, on_order_update
    kws.connect()
    """
)


def test_the_official_ticker_receives_full_ticks_and_order_updates(
    sandbox: SandboxServer, tmp_path: object
) -> None:
    kite = _kite(sandbox)
    infy = next(i for i in kite.instruments("NSE") if i["tradingsymbol"] == "INFY")
    done = subprocess.run(
        [sys.executable, "-c", TICKER_SCRIPT, sandbox.http_url, sandbox.ws_url,
         kite.access_token, str(infy["instrument_token"])],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert '"orders": 1' in done.stdout, done.stdout + done.stderr
