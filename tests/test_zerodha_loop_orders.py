"""Orders sent from the event loop (`ZerodhaBroker.begin_place_order` over `OrderChannel`)
against a loopback Kite server: the request is on the wire before the call returns, carries
exactly what the threaded path sends, gets the same outcomes for the same replies, and is never
sent when it cannot leave at once (no connection, no rate-limit slot, no token)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scalpbot.brokers.zerodha.broker import ZerodhaBroker
from scalpbot.brokers.zerodha.order_channel import OrderChannel, frame
from scalpbot.domain import LoopOrderEntry, OrderRejected, SessionExpired
from zerodha_mock_server import Fault, KiteMock, kite_error
from zerodha_mock_support import LOST_REPLIES, LOST_REPLY_IDS, broker_on

ORDER = {"symbol": "INFY", "exchange": "NSE", "transaction_type": "BUY", "quantity": 1}


@pytest.fixture
def mock() -> Iterator[KiteMock]:
    with KiteMock() as server:
        yield server


def make(mock: KiteMock, tmp_path: Path, **kwargs: Any) -> ZerodhaBroker:
    broker = broker_on(mock, tmp_path, **kwargs)
    broker.instrument("NSE:INFY")  # the instrument master is read before the test's requests
    return broker


def arrived_without_yielding(condition: Callable[[], bool]) -> bool:
    """Wait for the server (its own threads) *blocking the event loop*: whatever it sees by
    then was written before the loop ran again, i.e. inside the call under test."""
    deadline = time.monotonic() + 5
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_the_request_is_written_in_the_call_and_matches_the_threaded_one(
    mock: KiteMock, tmp_path: Path
) -> None:
    broker = make(mock, tmp_path, algo_id="ALGO42")
    assert isinstance(broker, LoopOrderEntry)
    limit = {**ORDER, "order_type": "LIMIT", "product": "CNC", "price": 1500.03}

    async def scenario() -> tuple[str, str]:
        await broker.order_channel.open()
        placing = broker.begin_place_order(**limit, tag="SB000001")
        assert placing is not None
        assert arrived_without_yielding(lambda: len(mock.calls("POST")) == 1)
        on_loop = await placing
        threaded = await asyncio.to_thread(broker.place_order, **limit, tag="SB000002")
        return on_loop, threaded

    on_loop, threaded = asyncio.run(scenario())
    assert [on_loop, threaded] == [row["order_id"] for row in mock.orders[-2:]]
    first, second = mock.calls("POST", "/orders/regular")
    assert first.form == {**second.form, "tag": "SB000001"}
    assert first.form["price"] == "1500.05" and first.form["algo_id"] == "ALGO42"
    for name in ("authorization", "x-kite-version", "content-type", "user-agent"):
        assert first.headers[name] == second.headers[name]
    broker.close()


def test_the_connection_is_kept_for_the_next_order(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)

    async def scenario() -> list[int]:
        channel = broker.order_channel
        await channel.open()
        idle = [channel.idle_connections]
        for number in range(3):
            placing = broker.begin_place_order(**ORDER, tag=f"SB00010{number}")
            assert placing is not None
            idle.append(channel.idle_connections)
            await placing
            idle.append(channel.idle_connections)
        return idle

    assert asyncio.run(scenario()) == [2, 1, 2, 1, 2, 1, 2]
    assert len(mock.calls("POST", "/orders/regular")) == 3
    broker.close()


def test_a_rejection_says_why_and_the_order_is_sent_once(mock: KiteMock, tmp_path: Path) -> None:
    message = "Your order price is lower than the current lower circuit limit of 1250.70."
    mock.fail("POST", "/orders/regular", Fault(400, kite_error("OrderException", message)))
    broker = make(mock, tmp_path)

    async def scenario() -> None:
        await broker.order_channel.open()
        placing = broker.begin_place_order(**ORDER)
        assert placing is not None
        with pytest.raises(OrderRejected, match="lower circuit limit"):
            await placing

    asyncio.run(scenario())
    assert len(mock.calls("POST", "/orders/regular")) == 1
    broker.close()


@pytest.mark.parametrize("fault", LOST_REPLIES, ids=LOST_REPLY_IDS)
def test_a_lost_reply_is_resolved_by_tag_and_never_resent(
    mock: KiteMock, tmp_path: Path, fault: Fault
) -> None:
    mock.fail("POST", "/orders/regular", fault)
    broker = make(mock, tmp_path, timeout=0.3)

    async def scenario() -> str:
        await broker.order_channel.open()
        placing = broker.begin_place_order(**ORDER, tag="SB000777")
        assert placing is not None
        return await placing

    order_id = asyncio.run(scenario())
    assert order_id == mock.orders[-1]["order_id"] and mock.orders[-1]["tag"] == "SB000777"
    assert len(mock.calls("POST", "/orders/regular")) == 1
    assert len(mock.calls("GET", "/orders")) >= 1
    broker.close()


def test_a_429_was_not_acted_on_so_the_ordinary_path_sends_it_again(
    mock: KiteMock, tmp_path: Path
) -> None:
    refused = Fault(429, kite_error("NetworkException", "Too many requests"))
    mock.fail("POST", "/orders/regular", refused)
    broker = make(mock, tmp_path)

    async def scenario() -> str:
        await broker.order_channel.open()
        placing = broker.begin_place_order(**ORDER, tag="SB000429")
        assert placing is not None
        return await placing

    order_id = asyncio.run(scenario())
    assert order_id == mock.orders[-1]["order_id"]
    assert [c.form["tag"] for c in mock.calls("POST", "/orders/regular")] == ["SB000429"] * 2
    assert len([row for row in mock.orders if row.get("tag") == "SB000429"]) == 1
    broker.close()


def test_nothing_is_sent_when_it_cannot_leave_at_once(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)  # its FakeClock never moves: the rate window never slides

    async def scenario() -> list[bool]:
        went = [broker.begin_place_order(**ORDER) is not None]  # no connection open yet
        await broker.order_channel.open()
        for _ in range(11):  # Kite allows 10 orders a second
            placing = broker.begin_place_order(**ORDER)
            went.append(placing is not None)
            if placing is not None:
                await placing
        return went

    assert asyncio.run(scenario()) == [False] + [True] * 10 + [False]
    assert len(mock.calls("POST", "/orders/regular")) == 10
    broker.close()


def test_without_a_token_the_threaded_path_says_why(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)
    broker.http.access_token = None

    async def scenario() -> None:
        await broker.order_channel.open()
        with pytest.raises(SessionExpired, match="no valid Kite access token"):
            broker.begin_place_order(**ORDER)

    asyncio.run(scenario())
    assert mock.calls("POST") == []
    broker.close()


def test_bad_orders_are_refused_before_anything_is_written(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)

    async def scenario() -> int:
        await broker.order_channel.open()
        with pytest.raises(OrderRejected, match="unknown order variety 'bracket'"):
            broker.begin_place_order(**ORDER, variety="bracket")
        return broker.order_channel.idle_connections

    assert asyncio.run(scenario()) == 2
    assert mock.calls("POST") == []
    broker.close()


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        ("/orders/regular", {"Authorization": "token k:t\r\nX-Evil: 1"}),
        ("/orders/regular HTTP/1.0", {"Host": "a"}),
        ("/orders/regular", {"Bad Name": "v"}),
        ("/orders/regular", {"Host": "a\x00"}),
    ],
    ids=["crlf-in-value", "space-in-target", "space-in-name", "nul-in-value"],
)
def test_framing_refuses_what_would_break_the_request(target: str, headers: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        frame("POST", target, headers, b"")


def test_framing_writes_a_plain_http_11_request() -> None:
    wire = frame("POST", "/orders/regular", {"Host": "h:1", "Content-Length": "3"}, b"a=1")
    assert wire == b"POST /orders/regular HTTP/1.1\r\nHost: h:1\r\nContent-Length: 3\r\n\r\na=1"


def test_a_channel_needs_an_http_url() -> None:
    with pytest.raises(ValueError, match="http"):
        OrderChannel("ws://127.0.0.1:1/")


def test_a_connection_the_server_closed_is_replaced(mock: KiteMock, tmp_path: Path) -> None:
    broker = make(mock, tmp_path)

    async def scenario() -> list[int]:
        channel = broker.order_channel
        await channel.open()
        for connection in list(channel._all):
            connection.close()  # as a server closing idle keep-alive connections would
        await asyncio.sleep(0.05)
        first = broker.begin_place_order(**ORDER)  # none idle: not sent, the pool reopens
        await channel.open()
        second = broker.begin_place_order(**ORDER)
        assert second is not None
        await second
        return [first is None, channel.idle_connections]

    assert asyncio.run(scenario()) == [True, 2]
    assert len(mock.calls("POST", "/orders/regular")) == 1
    broker.close()


def test_a_connection_closed_by_the_server_is_reopened_without_an_order(
    mock: KiteMock, tmp_path: Path
) -> None:
    broker = make(mock, tmp_path)

    async def scenario() -> int:
        channel = broker.order_channel
        await channel.open()
        for connection in list(channel._all):
            connection.close()  # as a server closing idle keep-alive connections does
        deadline = time.monotonic() + 10
        while channel.idle_connections < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return channel.idle_connections

    assert asyncio.run(scenario()) == 2
    broker.close()


def test_a_connection_the_server_closed_unnoticed_is_never_written_to() -> None:
    """The server's FIN is in the kernel but the loop has not read it yet: the request must not
    go there (it would be lost); the channel says it cannot send, and the caller goes the
    threaded way."""
    accepted: list[socket.socket] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def accept_two() -> None:
            for _ in range(2):
                accepted.append(server.accept()[0])

        acceptor = threading.Thread(target=accept_two)
        acceptor.start()

        async def scenario() -> object:
            channel = OrderChannel(f"http://127.0.0.1:{port}", connections=2)
            await channel.open()
            acceptor.join(5)
            for peer in accepted:
                peer.close()
            time.sleep(0.2)  # blocking: the loop cannot read the FINs before `send`
            return channel.send("POST", "/orders/regular", {"quantity": "1"}, {})

        assert asyncio.run(scenario()) is None
