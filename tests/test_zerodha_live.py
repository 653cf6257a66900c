"""The Zerodha adapter and the live runtime against the Kite sandbox: ticker, orders whose
outcome is lost, fills from the trade book, and a killed live session reconciled on restart."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandbox_support import (
    API_KEY,
    control,
    kill_after_orders,
    live_home,
    logged_in_broker,
    running_sandbox,
    start_live,
)
from sandbox_support import wait_until as wait_for
from scalpbot.brokers.zerodha.broker import ZerodhaBroker
from scalpbot.domain import (
    BrokerUnavailable,
    Order,
    OrderStatus,
    Side,
    Tick,
)
from scalpbot.engine.bus import EventBus
from scalpbot.engine.clock import WallClock
from scalpbot.engine.order_manager import OrderManager
from scalpbot.engine.portfolio import Portfolio
from scalpbot.market.charges import NoCharges
from scalpbot.runtime.broker_gateway import BrokerGateway
from scalpbot.sandbox.zerodha.server import SandboxServer

SCALPBOT = str(Path(sys.executable).with_name("scalpbot"))


@pytest.fixture()
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox(time_scale=60) as server:
        yield server


def _broker(server: SandboxServer, tmp_path: Path, **extra: Any) -> ZerodhaBroker:
    return logged_in_broker(server, tmp_path, **extra)


def test_the_issue_example_works_against_the_sandbox(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    broker = _broker(sandbox, tmp_path)
    quote = broker.get_quote("RELIANCE", "NSE")
    assert quote.last_price > 0 and quote.instrument_key == "NSE:RELIANCE"
    order_id = broker.place_order(
        symbol="RELIANCE", exchange="NSE", transaction_type="BUY", quantity=1,
        order_type="MARKET", product="MIS",
    )  # fmt: skip
    placed = sandbox.state.book.orders[order_id].row
    assert placed["market_protection"] == -1 and placed["tag"]
    (position,) = broker.get_positions()
    assert (position.instrument.key, position.quantity) == ("NSE:RELIANCE", 1)
    (fill,) = broker.get_order_trades(order_id)
    assert fill.quantity == 1 and fill.price == Decimal(str(placed["average_price"]))
    assert broker.get_funds().available_cash < Decimal(1_000_000)
    broker.close()


class Recorder:
    def __init__(self) -> None:
        self.ticks: list[Tick] = []
        self.orders: list[Order] = []
        self.status: list[tuple[bool, str]] = []

    def on_ticks(self, ticks: list[Tick]) -> None:
        self.ticks.extend(ticks)

    def on_order(self, order: Order) -> None:
        self.orders.append(order)

    def on_status(self, connected: bool, message: str) -> None:
        self.status.append((connected, message))


def test_the_ticker_client_gets_keyed_ticks_and_order_updates(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    broker = _broker(sandbox, tmp_path)
    seen = Recorder()

    async def scenario() -> None:
        client = broker.stream(seen)
        client.subscribe(["NSE:INFY", "NSE:SBIN"], "full")
        task = asyncio.create_task(client.run())
        await _until(lambda: {t.instrument_key for t in seen.ticks} == {"NSE:INFY", "NSE:SBIN"})
        await asyncio.to_thread(
            broker.place_order, symbol="INFY", exchange="NSE", transaction_type="SELL",
            quantity=2, order_type="MARKET", product="MIS", tag="TICKER1",
        )  # fmt: skip
        await _until(lambda: any(o.status is OrderStatus.FILLED for o in seen.orders))
        control(sandbox, "fault", {"kind": "ws_drop"})
        count = len(seen.ticks)
        await _until(lambda: len(seen.ticks) > count + 4 and client.reconnects >= 1)
        await client.close()
        await task

    asyncio.run(scenario())
    filled = next(o for o in seen.orders if o.status is OrderStatus.FILLED)
    assert filled.client_order_id == "TICKER1" and filled.filled_quantity == 2
    assert filled.side is Side.SELL and filled.instrument.key == "NSE:INFY"
    assert seen.ticks[-1].bid is not None and seen.ticks[-1].ts > 0
    assert [c for c, _ in seen.status].count(True) >= 2  # connected again after the drop
    broker.close()


async def _until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def _manager(gateway: BrokerGateway) -> tuple[OrderManager, Portfolio]:
    portfolio = Portfolio(Decimal(100_000), NoCharges())
    return OrderManager(gateway, portfolio, EventBus(), WallClock(), id_prefix="GW"), portfolio


def test_an_order_whose_answer_is_lost_is_found_by_its_tag_never_resent(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    broker = _broker(sandbox, tmp_path, timeout=0.5)
    infy = broker.instrument("NSE:INFY")
    nifty = broker.instrument("NFO:NIFTY-I")

    async def scenario() -> tuple[Order, Order]:
        gateway = BrokerGateway(broker, resolve_delays=(0.2,), trade_pause_s=0.05)
        manager, _ = _manager(gateway)
        control(sandbox, "fault", {"kind": "stall_order", "seconds": 3})
        lost = manager.submit(Order(manager.next_client_id(), infy, Side.BUY, 3))
        await _until(lambda: lost.status is OrderStatus.FILLED, timeout=15)
        rejected_at_broker = manager.submit(
            Order(manager.next_client_id(), nifty, Side.BUY, 10)  # not a multiple of the lot
        )
        await _until(lambda: rejected_at_broker.status is OrderStatus.REJECTED)
        await gateway.drain()
        await gateway.close()
        return lost, rejected_at_broker

    lost, rejected = asyncio.run(scenario())
    history = [change.status for change in lost.history]
    assert OrderStatus.UNKNOWN in history or OrderStatus.OPEN in history
    assert lost.filled_quantity == 3
    assert control(sandbox, "orders")["by_tag"][lost.client_order_id] == 1  # sent once
    assert "lot size" in rejected.reason
    broker.close()


def test_fills_come_from_the_trade_book_each_once(sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.state.book.liquidity = 40
    broker = _broker(sandbox, tmp_path)
    tcs = broker.instrument("NSE:TCS")

    async def scenario() -> tuple[Order, Portfolio, int]:
        gateway = BrokerGateway(broker, trade_pause_s=0.05)
        manager, portfolio = _manager(gateway)
        stream = broker.stream(gateway)
        stream.subscribe(["NSE:TCS"], "ltp")
        task = asyncio.create_task(stream.run())
        order = manager.submit(Order(manager.next_client_id(), tcs, Side.BUY, 100))
        await _until(lambda: order.status is OrderStatus.FILLED)
        await asyncio.sleep(0.3)  # later duplicates of the same news must change nothing
        await stream.close()
        await task
        await gateway.close()
        return order, portfolio, len(gateway.errors)

    order, portfolio, errors = asyncio.run(scenario())
    trades = broker.get_order_trades(order.broker_order_id or "")
    assert [t.quantity for t in trades] == [40, 40, 20]
    assert portfolio.position_quantity("NSE:TCS") == 100
    expected = sum((t.price * t.quantity for t in trades), Decimal(0)) / 100
    assert order.average_price == expected and errors == 0
    broker.close()


def test_an_order_refused_for_a_lost_answer_is_unknown_not_rejected(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    broker = _broker(sandbox, tmp_path, timeout=0.3)
    broker.instrument("NSE:SBIN")  # the instrument master is read before the fault
    control(sandbox, "fault", {"kind": "http_5xx", "count": 50})
    with pytest.raises(BrokerUnavailable, match=r"(?i)unknown"):
        broker.place_order(
            symbol="SBIN", exchange="NSE", transaction_type="BUY", quantity=1, tag="GONE1"
        )
    control(sandbox, "fault", {"kind": "http_5xx", "count": 0})
    assert "GONE1" not in control(sandbox, "orders")["by_tag"]
    broker.close()


# -- the whole product: scalpbot run --mode live, killed and resumed -------------------------
def _home(tmp_path: Path, sandbox: SandboxServer) -> Path:
    home = live_home(tmp_path, sandbox)
    assert os.stat(home / "tokens" / "zerodha.json").st_mode & 0o777 == 0o600
    return home


def _live(home: Path, *extra: str) -> subprocess.Popen[str]:
    return start_live(home, *extra)


def _db(home: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "scalpbot.db") as db:
        return db.execute(query, args).fetchall()


def _count(home: Path, query: str) -> int:
    """A count that is 0 while the session has not yet created its tables."""
    try:
        return int(_db(home, query)[0][0])
    except sqlite3.OperationalError:
        return 0


def _net_from_fills(home: Path) -> dict[str, int]:
    rows = _db(home, "select exchange, symbol, side, quantity from fills")
    net: dict[str, int] = {}
    for exchange, symbol, side, quantity in rows:
        key = f"{exchange}:{symbol}"
        net[key] = net.get(key, 0) + (quantity if side == "BUY" else -quantity)
    return {k: v for k, v in net.items() if v}


def test_a_live_session_trades_is_killed_and_reconciles_on_restart(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    home = _home(tmp_path, sandbox)
    kill_after_orders(home, sandbox, 3)
    second = _live(home, "--resume", "--json", str(tmp_path / "report.json"))
    try:
        wait_for(lambda: _db(home, "select count(*) from events where kind='reconciled'")[0][0],
                 timeout=40)  # fmt: skip
        time.sleep(2)
    finally:
        second.send_signal(signal.SIGINT)
        _out, err = second.communicate(timeout=30)
    assert second.returncode == 0, err
    book = control(sandbox, "orders")
    assert book["by_tag"] and max(book["by_tag"].values()) == 1  # nothing sent twice
    rows = _db(home, "select client_order_id, status, reason from orders")
    stored = {cid: (status, why) for cid, status, why in rows}
    assert set(book["by_tag"]) <= set(stored)  # nothing lost either
    for cid in set(stored) - set(book["by_tag"]):  # the kill fell between journal and send
        assert stored[cid][0] == "REJECTED" and "never arrived" in stored[cid][1], stored
    theirs = {f"{p['exchange']}:{p['tradingsymbol']}": p["quantity"] for p in book["positions"]}
    assert _net_from_fills(home) == {k: v for k, v in theirs.items() if v}
    sessions = _db(home, "select count(*) from trading_sessions")[0][0]
    assert sessions == 1  # the restart continued the same session
    fills = _db(home, "select count(*) from fills")[0][0]
    assert fills == sum(1 for t in sandbox.state.book.trades)


def test_the_ticker_watchdog_reopens_a_silent_feed_and_a_dead_token_ends_it(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    broker = _broker(sandbox, tmp_path)
    seen = Recorder()

    async def scenario() -> BaseException | None:
        from scalpbot.brokers.zerodha.ticker_client import KiteTickerClient

        client = KiteTickerClient(
            API_KEY, broker.session.token(), seen, url=sandbox.ws_url, master=broker.master,
            silence_timeout_s=0.4, max_backoff_s=0.2,
        )  # fmt: skip
        client.subscribe(["NSE:SBIN"], "quote")
        task = asyncio.create_task(client.run())
        await _until(lambda: len(seen.ticks) > 3)
        control(sandbox, "fault", {"kind": "ws_silent", "seconds": 1.5})
        await _until(lambda: client.reconnects >= 1)
        count = len(seen.ticks)
        await _until(lambda: len(seen.ticks) > count + 3)  # flowing again after the silence
        control(sandbox, "fault", {"kind": "expire_tokens"})
        control(sandbox, "fault", {"kind": "ws_drop"})
        try:
            await asyncio.wait_for(task, 10)
        except BaseException as exc:
            return exc
        return None

    outcome = asyncio.run(scenario())
    assert type(outcome).__name__ == "SessionExpired"
    assert "log in again" in seen.status[-1][1] and seen.status[-1][0] is False
    broker.close()


def test_data_download_saves_the_brokers_candles_as_parquet(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    from scalpbot.data import load_bars

    home = _home(tmp_path, sandbox)
    out = tmp_path / "infy.parquet"
    done = subprocess.run(
        [SCALPBOT, "data", "download", "--home", str(home), "--symbol", "NSE:INFY",
         "--interval", "minute", "--from", "2026-09-01", "--to", "2026-11-20", "--out", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    bars = load_bars(out)
    assert "bars of NSE:INFY saved" in done.stdout and len(bars) > 375 * 50
    assert (bars.ts[1:] > bars.ts[:-1]).all()  # pages joined in order, no repeats
    historical = [c for c in sandbox.state.requests if "/instruments/historical/" in c]
    assert len(historical) == 2  # 80 days of minutes: two pages of at most 60 days


def test_an_expired_token_rejects_the_order_and_asks_for_a_login(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    broker = _broker(sandbox, tmp_path)
    sbin = broker.instrument("NSE:SBIN")
    control(sandbox, "fault", {"kind": "expire_tokens"})
    told: list[str] = []

    async def scenario() -> Order:
        gateway = BrokerGateway(broker)
        gateway.session_expired = told.append
        manager, _ = _manager(gateway)
        order = manager.submit(Order(manager.next_client_id(), sbin, Side.BUY, 1))
        await _until(lambda: order.status is OrderStatus.REJECTED)
        await gateway.close()
        return order

    order = asyncio.run(scenario())
    assert "session expired" in order.reason and told
    assert "scalpbot login zerodha" in told[0]
    assert control(sandbox, "orders")["orders"] == []  # nothing reached the book
    broker.close()


def test_subscriptions_spread_over_connections_within_kites_limits(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    from scalpbot.brokers.zerodha.ticker_client import KiteTickerClient
    from scalpbot.domain import ConfigError

    broker = _broker(sandbox, tmp_path)
    seen = Recorder()

    async def scenario() -> int:
        client = KiteTickerClient(
            API_KEY, broker.session.token(), seen, url=sandbox.ws_url, master=broker.master,
            per_connection=1, max_connections=3,
        )  # fmt: skip
        client.subscribe(["NSE:INFY", "NSE:SBIN", "NSE:TCS"], "ltp")
        with pytest.raises(ConfigError, match="1 instruments on each of 3 connections"):
            client.subscribe(["NSE:RELIANCE"], "ltp")
        task = asyncio.create_task(client.run())
        await _until(lambda: {t.instrument_key for t in seen.ticks} >= {"NSE:INFY", "NSE:TCS"})
        connections = len(sandbox.state.clients)
        await client.close()
        await task
        return connections

    assert asyncio.run(scenario()) == 3
    assert all(len(c.modes) <= 1 for c in sandbox.state.clients)
    broker.close()


def test_a_kill_between_journaling_a_fill_and_storing_it_is_repaired_on_restart(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """The order's FILLED status reaches the store a moment before its fill does; a kill in
    between leaves a filled order with no fill. Restarting must bring the trade back from the
    broker rather than refuse (or trust the order's own figures)."""
    home = _home(tmp_path, sandbox)
    first = _live(home)
    try:
        wait_for(lambda: _count(home, "select count(*) from fills") >= 2, timeout=40)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    with sqlite3.connect(home / "scalpbot.db") as db:
        (lost,) = db.execute("select fill_id from fills order by id desc limit 1").fetchone()
        db.execute("delete from fills where fill_id = ?", (lost,))
    second = _live(home, "--resume")
    try:
        wait_for(lambda: _db(home, "select count(*) from events where kind='reconciled'")[0][0],
                 timeout=40)  # fmt: skip
    finally:
        second.send_signal(signal.SIGINT)
        _out, err = second.communicate(timeout=30)
    assert second.returncode == 0, err
    assert _db(home, "select count(*) from fills where fill_id = ?", lost)[0][0] == 1
    book = control(sandbox, "orders")
    theirs = {f"{p['exchange']}:{p['tradingsymbol']}": p["quantity"] for p in book["positions"]}
    assert _net_from_fills(home) == {k: v for k, v in theirs.items() if v}


def test_a_live_session_backfills_the_bars_of_a_ticker_outage(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    home = _home(tmp_path, sandbox)
    session = _live(home)
    try:
        wait_for(lambda: sandbox.state.clients, timeout=30)
        time.sleep(2)  # a couple of exchange minutes of bars first
        control(sandbox, "fault", {"kind": "ws_down", "seconds": 3})
        wait_for(lambda: _count(home, "select count(*) from events where kind like 'backfill%'"),
                 timeout=30)  # fmt: skip
    finally:
        session.send_signal(signal.SIGINT)
        _out, err = session.communicate(timeout=30)
    assert session.returncode == 0, err
    [(kind, message, data)] = _db(
        home, "select kind, message, data from events where kind like 'backfill%'"
    )
    assert kind == "backfill", message
    detail = json.loads(data)
    assert detail["bars"] >= 2 * len(detail["instruments"]) >= 4  # 3 minutes missed
    assert set(detail["instruments"]) == {"NSE:INFY", "NSE:SBIN"}
