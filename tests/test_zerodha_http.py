"""KiteHttp against a real loopback Kite server: headers, form bodies, error mapping, retries of
reads, writes sent once, client-side rate limits (fake clock) and paged historical requests."""

from __future__ import annotations

import itertools
import logging
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from scalpbot.brokers.zerodha.constants import INTERVAL_MAX_DAYS
from scalpbot.brokers.zerodha.errors import OrderOutcomeUnknown
from scalpbot.brokers.zerodha.historical import fetch_candles, plan_pages
from scalpbot.brokers.zerodha.http import KiteHttp, RetryPolicy
from scalpbot.brokers.zerodha.rate_limit import KiteRateLimits, SlidingWindow
from scalpbot.domain import (
    IST,
    BrokerError,
    BrokerUnavailable,
    ConfigError,
    OrderRejected,
    RateLimited,
    SessionExpired,
)
from zerodha_mock_server import FakeClock, Fault, KiteMock, kite_error

FAST = RetryPolicy(attempts=4, base_delay_s=0.5, max_delay_s=8.0, connect_attempts=3)


@pytest.fixture
def mock() -> Iterator[KiteMock]:
    with KiteMock() as server:
        yield server


def client(mock: KiteMock, clock: FakeClock | None = None, **kwargs: object) -> KiteHttp:
    return KiteHttp(
        mock.api_key,
        mock.access_token,
        base_url=mock.url,
        limits=KiteRateLimits(clock or FakeClock()),
        retry=kwargs.pop("retry", FAST),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def test_every_call_carries_version_and_token_headers(mock: KiteMock) -> None:
    http = client(mock)
    assert http.get("/user/profile")["user_id"] == "AB1234"
    (req,) = mock.calls("GET", "/user/profile")
    assert req.headers["x-kite-version"] == "3"
    assert req.headers["authorization"] == f"token {mock.api_key}:{mock.access_token}"


def test_writes_are_form_encoded(mock: KiteMock) -> None:
    http = client(mock)
    form = {"tradingsymbol": "INFY", "exchange": "NSE", "quantity": "1", "tag": "t1"}
    assert http.write("POST", "/orders/regular", form)["order_id"]
    (req,) = mock.calls("POST", "/orders/regular")
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert req.form == form


def test_repeated_query_parameters(mock: KiteMock) -> None:
    http = client(mock)
    data = http.get("/quote/ltp", [("i", "NSE:INFY"), ("i", "NSE:SBIN")], category="quote")
    assert set(data) == {"NSE:INFY", "NSE:SBIN"}
    (req,) = mock.calls("GET", "/quote/ltp")
    assert req.query == [("i", "NSE:INFY"), ("i", "NSE:SBIN")]


def test_csv_replies_come_back_as_text(mock: KiteMock) -> None:
    text = client(mock).get_text("/instruments/NSE")
    assert text.startswith("instrument_token,exchange_token,tradingsymbol")


def test_no_token_is_session_expired_before_anything_is_sent(mock: KiteMock) -> None:
    http = KiteHttp("k", None, base_url=mock.url, limits=KiteRateLimits(FakeClock()))
    with pytest.raises(SessionExpired, match="scalpbot login zerodha"):
        http.get("/user/profile")
    assert mock.requests == []


@pytest.mark.parametrize(
    ("error_type", "status", "write", "expected"),
    [
        ("TokenException", 403, False, SessionExpired),
        ("TokenException", 403, True, SessionExpired),
        ("InputException", 400, True, OrderRejected),
        ("OrderException", 500, True, OrderRejected),
        ("MarginException", 400, True, OrderRejected),
        ("HoldingException", 400, True, OrderRejected),
        ("UserException", 400, True, OrderRejected),
        ("PermissionException", 403, True, OrderRejected),
        ("InputException", 400, False, BrokerError),
        ("PermissionException", 403, False, BrokerError),
        ("NetworkException", 503, False, BrokerUnavailable),
        ("DataException", 502, False, BrokerUnavailable),
        ("GeneralException", 500, False, BrokerUnavailable),
        ("NetworkException", 503, True, OrderOutcomeUnknown),
        ("DataException", 502, True, OrderOutcomeUnknown),
        ("GeneralException", 500, True, OrderOutcomeUnknown),
    ],
)
def test_each_kite_error_type_maps_to_our_error(
    mock: KiteMock, error_type: str, status: int, write: bool, expected: type[Exception]
) -> None:
    method, path = ("POST", "/orders/regular") if write else ("GET", "/user/margins")
    faults = [Fault(status, kite_error(error_type, f"Kite says {error_type}"))] * 4
    mock.fail(method, path, *faults)
    http = client(mock, retry=RetryPolicy(attempts=1))
    with pytest.raises(expected) as info:
        if write:
            http.write("POST", path, {"quantity": "1"})
        else:
            http.get(path)
    assert type(info.value) is expected
    assert f"Kite says {error_type}" in str(info.value)
    assert error_type in str(info.value)
    assert len(mock.calls(method, path)) == 1


def test_order_rejection_carries_kites_message(mock: KiteMock) -> None:
    message = "Insufficient funds. Required margin is 1000.00 but available margin is 10.00."
    mock.fail("POST", "/orders/regular", Fault(400, kite_error("MarginException", message)))
    with pytest.raises(OrderRejected, match="Insufficient funds"):
        client(mock).write("POST", "/orders/regular", {"quantity": "1"})


def test_429_backs_off_and_retries_reads(mock: KiteMock) -> None:
    clock = FakeClock()
    too_fast = Fault(429, kite_error("NetworkException", "Too many requests"))
    mock.fail("GET", "/user/profile", too_fast, too_fast)
    assert client(mock, clock).get("/user/profile")["user_id"] == "AB1234"
    assert len(mock.calls("GET", "/user/profile")) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_429_retry_after_is_honoured(mock: KiteMock) -> None:
    clock = FakeClock()
    wait = Fault(
        429, kite_error("NetworkException", "Too many requests"), headers={"Retry-After": "3"}
    )
    mock.fail("GET", "/user/profile", wait)
    client(mock, clock).get("/user/profile")
    assert clock.sleeps == [3.0]


def test_429_that_persists_raises_rate_limited(mock: KiteMock) -> None:
    mock.fail("GET", "/trades", *[Fault(429, text="slow down")] * 4)
    with pytest.raises(RateLimited):
        client(mock).get("/trades")
    assert len(mock.calls("GET", "/trades")) == 4


def test_5xx_reads_are_retried_with_exponential_back_off(mock: KiteMock) -> None:
    clock = FakeClock()
    mock.fail("GET", "/portfolio/positions", Fault(502, text="bad gateway"), Fault(503, text="x"))
    data = client(mock, clock).get("/portfolio/positions")
    assert "net" in data
    assert clock.sleeps == [0.5, 1.0]
    assert len(mock.calls("GET", "/portfolio/positions")) == 3


def test_reads_give_up_after_bounded_attempts(mock: KiteMock) -> None:
    clock = FakeClock()
    mock.fail("GET", "/user/profile", *[Fault(503, text="down")] * 10)
    with pytest.raises(BrokerUnavailable, match="HTTP 503"):
        client(mock, clock).get("/user/profile")
    assert len(mock.calls("GET", "/user/profile")) == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_read_timeout_is_retried(mock: KiteMock) -> None:
    mock.fail("GET", "/user/profile", Fault(200, accept=True, stall_s=1.0))
    http = client(mock, timeout=0.2)
    assert http.get("/user/profile")["user_id"] == "AB1234"
    assert len(mock.calls("GET", "/user/profile")) == 2


def test_a_5xx_write_is_sent_once_and_its_outcome_unknown(mock: KiteMock) -> None:
    mock.fail("POST", "/orders/regular", Fault(503, text="service unavailable", accept=True))
    with pytest.raises(OrderOutcomeUnknown, match="outcome is unknown"):
        client(mock).write("POST", "/orders/regular", {"quantity": "1", "tag": "x"})
    assert len(mock.calls("POST", "/orders/regular")) == 1


def test_a_write_that_times_out_is_not_sent_again(mock: KiteMock) -> None:
    mock.fail("POST", "/orders/regular", Fault(200, accept=True, stall_s=1.0))
    with pytest.raises(OrderOutcomeUnknown, match="timed out"):
        client(mock, timeout=0.2).write("POST", "/orders/regular", {"quantity": "1"})
    assert len(mock.calls("POST", "/orders/regular")) == 1


def test_a_write_whose_connection_drops_is_not_sent_again(mock: KiteMock) -> None:
    mock.fail("POST", "/orders/regular", Fault(accept=True, drop=True))
    with pytest.raises(OrderOutcomeUnknown, match="connection lost"):
        client(mock).write("POST", "/orders/regular", {"quantity": "1"})
    assert len(mock.calls("POST", "/orders/regular")) == 1


def test_a_write_that_cannot_connect_is_retried_then_reported_unsent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = FakeClock()
    http = KiteHttp(
        "k", "t", base_url=f"http://127.0.0.1:{port}", limits=KiteRateLimits(clock), retry=FAST
    )
    with pytest.raises(BrokerUnavailable, match="nothing was sent") as info:
        http.write("POST", "/orders/regular", {"quantity": "1"})
    assert not isinstance(info.value, OrderOutcomeUnknown)
    assert clock.sleeps == [0.5, 1.0]


def test_secrets_never_reach_messages_or_logs(
    mock: KiteMock, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "topsecretapisecret"
    echo = f"bad token {mock.access_token} with secret {secret}"
    mock.fail("GET", "/user/profile", Fault(400, kite_error("InputException", echo)))
    http = client(mock, secrets=[secret])
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BrokerError) as info:
        http.get("/user/profile")
    text = str(info.value)
    assert mock.access_token not in text and secret not in text and "***" in text
    http.write(
        "DELETE", "/session/token", params={"access_token": mock.access_token}, category="other"
    )
    assert mock.access_token not in caplog.text
    assert "access_token=***" in caplog.text
    assert mock.access_token not in repr(http)


def test_sliding_window_is_exact() -> None:
    window = SlidingWindow(3, 1.0)
    for t in (0.0, 0.1, 0.2):
        assert window.wait_time(t) == 0
        window.record(t)
    assert window.wait_time(0.5) == pytest.approx(0.5)
    assert window.wait_time(1.0) == 0


def test_orders_wait_for_ten_per_second() -> None:
    clock = FakeClock(0.0)
    limits = KiteRateLimits(clock)
    for _ in range(10):
        assert limits.acquire("order") == 0
    assert limits.acquire("order") == pytest.approx(1.0)
    assert clock.now == pytest.approx(1.0)


def test_orders_wait_for_four_hundred_per_minute() -> None:
    clock = FakeClock(0.0)
    limits = KiteRateLimits(clock)
    for _ in range(400):
        limits.acquire("order")
    assert clock.now == pytest.approx(39.0)  # 10 per second
    limits.acquire("order")
    assert clock.now == pytest.approx(60.0)  # the 401st waits for the minute's first to age out


def test_quotes_one_per_second_historical_three_others_ten() -> None:
    clock = FakeClock(0.0)
    limits = KiteRateLimits(clock)
    limits.acquire("quote")
    assert limits.acquire("quote") == pytest.approx(1.0)
    start = clock.now
    for _ in range(3):
        limits.acquire("historical")
    assert clock.now == start
    limits.acquire("historical")
    assert clock.now == pytest.approx(start + 1.0)
    start = clock.now
    for _ in range(10):
        limits.acquire("other")
    assert clock.now == start
    limits.acquire("other")
    assert clock.now == pytest.approx(start + 1.0)
    with pytest.raises(ValueError, match="unknown rate-limit category"):
        limits.acquire("bulk")  # type: ignore[arg-type]


def test_requests_pass_the_rate_limiter(mock: KiteMock) -> None:
    clock = FakeClock()
    http = client(mock, clock)
    for _ in range(3):
        http.get("/quote/ltp", [("i", "NSE:INFY")], category="quote")
    assert clock.sleeps == [1.0, 1.0]


def test_pages_follow_kites_maximum_span_per_interval() -> None:
    start = datetime(2024, 1, 1, 9, 15, tzinfo=IST)
    end = start + timedelta(days=150)
    pages = plan_pages("minute", start, end)
    assert len(pages) == 3
    assert pages[0][0] == start and pages[-1][1] == end
    for (_, b), (c, _) in itertools.pairwise(pages):
        assert c - b == timedelta(seconds=1)
    assert all(b - a < timedelta(days=INTERVAL_MAX_DAYS["minute"]) for a, b in pages)
    assert len(plan_pages("day", start, start + timedelta(days=5000))) == 3
    assert len(plan_pages("60minute", start, start + timedelta(days=399))) == 1
    assert plan_pages("5minute", start, start) == [(start, start)]


def test_bad_historical_ranges_are_refused() -> None:
    start = datetime(2024, 1, 1, tzinfo=IST)
    with pytest.raises(ConfigError, match=r"unknown candle interval '1h'.*minute"):
        plan_pages("1h", start, start)
    with pytest.raises(ConfigError, match="starts after it ends"):
        plan_pages("day", start, start - timedelta(days=1))


def test_historical_requests_are_paged_and_joined(mock: KiteMock) -> None:
    clock = FakeClock()
    http = client(mock, clock)
    start = datetime(2024, 1, 1, 9, 15)  # naive: IST
    candles = fetch_candles(http, 738561, "minute", start, start + timedelta(days=200), oi=True)
    calls = mock.calls("GET", "/instruments/historical/738561/minute")
    assert len(calls) == 4 == len(candles)
    first = dict(calls[0].query)
    assert first == {
        "from": "2024-01-01 09:15:00",
        "to": "2024-03-01 09:14:59",
        "continuous": "0",
        "oi": "1",
    }
    assert dict(calls[1].query)["from"] == "2024-03-01 09:15:00"
    assert clock.sleeps == [1.0]  # 3 historical requests per second


def test_published_candles_come_back_whole(mock: KiteMock) -> None:
    http = client(mock)
    start = datetime(2017, 12, 15, 9, 0, tzinfo=IST)
    candles = fetch_candles(http, 5633, "minute", start, start + timedelta(hours=1))
    assert len(candles) == 6
    assert candles[0] == ["2017-12-15T09:15:00+0530", 1704.5, 1705, 1699.25, 1702.8, 2499]
