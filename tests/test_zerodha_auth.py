"""Kite login: URL, checksums, request-token parsing, the token file (0600, 06:00 IST expiry),
the session against a loopback Kite server, and secrets kept out of messages, reprs and logs."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import stat
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kiteconnect import KiteConnect

from scalpbot.brokers.zerodha import auth
from scalpbot.brokers.zerodha.http import KiteHttp
from scalpbot.brokers.zerodha.rate_limit import KiteRateLimits
from scalpbot.brokers.zerodha.session import KiteSession
from scalpbot.domain import IST, BrokerError, ConfigError, OrderRejected, SessionExpired
from zerodha_mock_server import FakeClock, Fault, KiteMock, kite_error


@pytest.fixture
def mock() -> Iterator[KiteMock]:
    with KiteMock() as server:
        yield server


def http_for(mock: KiteMock) -> KiteHttp:
    return KiteHttp(mock.api_key, base_url=mock.url, limits=KiteRateLimits(FakeClock()))


def redirect(mock: KiteMock, status: str = "success") -> str:
    return f"http://127.0.0.1:5000/cb?action=login&type=login&status={status}&request_token={mock.request_token}"


def test_login_url() -> None:
    assert auth.login_url("abc") == "https://kite.zerodha.com/connect/login?api_key=abc&v=3"
    sandbox = "http://127.0.0.1:9000/connect/login?api_key=abc&v=3"
    assert auth.login_url("abc", "http://127.0.0.1:9000/") == sandbox
    assert auth.login_url("abc", "http://127.0.0.1:9000/connect/login") == sandbox
    with pytest.raises(ConfigError, match="api_key"):
        auth.login_url("")


def test_checksums_are_sha256_of_the_concatenation() -> None:
    expected = hashlib.sha256(b"keytokensecret").hexdigest()
    assert auth.checksum("key", "token", "secret") == expected
    assert auth.postback_checksum("220303000308932", "2022-03-03 09:24:25", "s") == (
        hashlib.sha256(b"2203030003089322022-03-03 09:24:25s").hexdigest()
    )


def test_request_token_from_the_redirect_or_bare() -> None:
    url = "http://127.0.0.1:5000/cb?action=login&status=success&request_token=AbC123"
    assert auth.request_token_from(url) == "AbC123"
    assert auth.request_token_from("  AbC123\n") == "AbC123"
    assert auth.request_token_from("request_token=AbC123&status=success") == "AbC123"


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("http://x/cb?status=error&request_token=abc", "status='error'"),
        ("http://x/cb?status=success", "no request_token"),
        ("http://x/cb?request_token=", "no request_token"),
        ("", "no request token"),
        ("not a token!", "neither a redirected URL nor a request token"),
        ("http://x/cb?request_token=a%20b", "malformed"),
    ],
)
def test_failed_or_garbled_redirects_are_refused(given: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        auth.request_token_from(given)


def test_tokens_expire_at_the_next_six_in_the_morning_ist() -> None:
    day = datetime(2024, 3, 4, tzinfo=IST)
    assert auth.next_expiry(day.replace(hour=10)) == day.replace(hour=6) + timedelta(days=1)
    assert auth.next_expiry(day.replace(hour=5, minute=59)) == day.replace(hour=6)
    assert auth.next_expiry(day.replace(hour=6)) == day.replace(hour=6) + timedelta(days=1)
    utc_evening = datetime(2024, 3, 4, 17, 30, tzinfo=UTC)  # 23:00 IST
    assert auth.next_expiry(utc_evening) == day.replace(hour=6) + timedelta(days=1)
    assert auth.next_expiry(datetime(2024, 3, 4, 7, 0)) == day.replace(hour=6) + timedelta(days=1)


def test_token_store_keeps_the_token_owner_only(tmp_path: Path) -> None:
    store = auth.TokenStore(tmp_path / "tokens" / "zerodha.json")
    login = datetime(2024, 3, 4, 9, 0, tzinfo=IST)
    saved = store.save("acc3ss", "AB1234", login)
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode == 0o600
    raw = json.loads(store.path.read_text())
    assert raw["access_token"] == "acc3ss" and raw["user_id"] == "AB1234"
    assert saved.expires_at == datetime(2024, 3, 5, 6, 0, tzinfo=IST)
    assert store.load(now=login + timedelta(hours=1)) == saved
    assert store.load(now=datetime(2024, 3, 5, 6, 0, tzinfo=IST)) is None  # expired
    assert "acc3ss" not in repr(saved)
    assert [p.name for p in store.path.parent.iterdir()] == ["zerodha.json"]  # no temp left
    store.clear()
    assert store.load() is None
    store.clear()  # twice is fine


def test_an_unreadable_token_file_counts_as_absent(tmp_path: Path) -> None:
    path = tmp_path / "zerodha.json"
    path.write_text("{not json")
    assert auth.TokenStore(path).load() is None
    path.write_text(json.dumps({"access_token": "x", "expires_at": "2099-01-01T06:00:00"}))
    assert auth.TokenStore(path).load() is None  # no time zone: not ours
    with pytest.raises(ConfigError, match="no access token"):
        auth.TokenStore(path).save("")


def test_session_login_sends_kites_checksum(mock: KiteMock, tmp_path: Path) -> None:
    store = auth.TokenStore(tmp_path / "t.json")
    session = KiteSession(http_for(mock), mock.api_secret, store=store)
    data = session.login(mock.api_key, redirect(mock))
    assert data["user_id"] == "XX0000"
    (req,) = mock.calls("POST", "/session/token")
    assert req.form == {
        "api_key": mock.api_key,
        "request_token": mock.request_token,
        "checksum": auth.checksum(mock.api_key, mock.request_token, mock.api_secret),
    }
    assert "authorization" not in req.headers
    assert session.token() == mock.access_token
    stored = store.load()
    assert stored is not None and stored.access_token == mock.access_token
    assert stored.expires_at == auth.next_expiry(datetime.now(IST).replace(microsecond=0))


def test_our_checksum_is_the_official_clients(mock: KiteMock) -> None:
    """Zerodha's own client logs in to the same server; both send the same checksum."""
    kite = KiteConnect(mock.api_key, root=mock.url)
    kite.generate_session(mock.request_token, api_secret=mock.api_secret)
    KiteSession(http_for(mock), mock.api_secret).login(mock.api_key, mock.request_token)
    theirs, ours = mock.calls("POST", "/session/token")
    assert theirs.form["checksum"] == ours.form["checksum"]


def test_a_wrong_secret_is_refused_by_kite(mock: KiteMock) -> None:
    session = KiteSession(http_for(mock), "wrongsecret")
    with pytest.raises(SessionExpired, match="Invalid `checksum`"):
        session.login(mock.api_key, redirect(mock))


def test_a_login_input_error_is_not_an_order_rejection(mock: KiteMock) -> None:
    fault = Fault(400, kite_error("InputException", "Invalid `request_token`."))
    mock.fail("POST", "/session/token", fault)
    with pytest.raises(BrokerError, match="Invalid `request_token`") as info:
        KiteSession(http_for(mock), mock.api_secret).login(mock.api_key, redirect(mock))
    assert not isinstance(info.value, OrderRejected)


def test_a_failed_login_redirect_sends_nothing(mock: KiteMock) -> None:
    session = KiteSession(http_for(mock), mock.api_secret)
    with pytest.raises(ConfigError, match="status='error'"):
        session.login(mock.api_key, redirect(mock, status="error"))
    with pytest.raises(ConfigError, match="api_secret"):
        KiteSession(http_for(mock)).login(mock.api_key, redirect(mock))
    assert mock.requests == []


def test_no_token_asks_for_a_login(mock: KiteMock, tmp_path: Path) -> None:
    session = KiteSession(http_for(mock), store=auth.TokenStore(tmp_path / "none.json"))
    with pytest.raises(SessionExpired, match="scalpbot login zerodha"):
        session.token()


def test_an_expired_stored_token_is_not_used(mock: KiteMock, tmp_path: Path) -> None:
    store = auth.TokenStore(tmp_path / "t.json")
    store.save(mock.access_token, "AB1234", datetime.now(IST) - timedelta(days=2))
    with pytest.raises(SessionExpired, match="06:00 IST"):
        KiteSession(http_for(mock), store=store).token()


def test_a_refused_token_stops_calls_until_a_new_login(mock: KiteMock, tmp_path: Path) -> None:
    store = auth.TokenStore(tmp_path / "t.json")
    store.save("staletoken", "AB1234")
    http = http_for(mock)
    session = KiteSession(http, store=store)
    with pytest.raises(SessionExpired, match="scalpbot login zerodha"):
        http.get("/user/profile")  # Kite refuses the token
    with pytest.raises(SessionExpired):
        session.token()  # the same token is not tried again
    assert len(mock.calls("GET")) == 1
    store.save(mock.access_token, "AB1234")  # `scalpbot login zerodha` in another process
    assert session.token() == mock.access_token
    assert http.get("/user/profile")["user_id"] == "AB1234"


def test_logout_ends_the_session(mock: KiteMock, tmp_path: Path) -> None:
    store = auth.TokenStore(tmp_path / "t.json")
    session = KiteSession(http_for(mock), mock.api_secret, store=store)
    session.login(mock.api_key, mock.request_token)
    session.logout(mock.api_key)
    (req,) = mock.calls("DELETE", "/session/token")
    assert dict(req.query) == {"api_key": mock.api_key, "access_token": mock.access_token}
    assert store.load() is None and not session.logged_in


def test_secrets_stay_out_of_logs_and_errors(
    mock: KiteMock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    http = http_for(mock)
    session = KiteSession(http, mock.api_secret, store=auth.TokenStore(tmp_path / "t.json"))
    session.login(mock.api_key, redirect(mock))
    leak = f"token {mock.access_token} secret {mock.api_secret} request {mock.request_token}"
    mock.fail("GET", "/user/margins", Fault(400, kite_error("InputException", leak)))
    with pytest.raises(Exception) as info:
        http.get("/user/margins")
    session.logout(mock.api_key)
    for secret in (mock.access_token, mock.api_secret, mock.request_token):
        assert secret not in str(info.value)
        assert secret not in caplog.text
        assert secret not in repr(session) + repr(http)


# -- through the broker (needs the mapping module) ---------------------------------------------


def test_broker_complete_login_returns_the_profile(mock: KiteMock, tmp_path: Path) -> None:
    from scalpbot.brokers.zerodha.broker import ZerodhaBroker

    broker = ZerodhaBroker(
        mock.api_key, mock.api_secret, base_url=mock.url, token_file=tmp_path / "t.json"
    )
    profile = broker.complete_login(redirect(mock))
    assert profile.user_id == "XX0000"
    again = ZerodhaBroker(mock.api_key, base_url=mock.url, token_file=tmp_path / "t.json")
    assert again.get_profile().user_id == "AB1234"  # the stored token is used


def test_interactive_login_prints_the_url_and_reads_the_redirect(
    mock: KiteMock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scalpbot.brokers.zerodha.broker import ZerodhaBroker

    broker = ZerodhaBroker(
        mock.api_key,
        mock.api_secret,
        base_url=mock.url,
        login_url=mock.url,
        redirect_url="http://127.0.0.1:5000/cb",
        token_file=tmp_path / "t.json",
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(redirect(mock) + "\n"))
    profile = broker.interactive_login()
    out = capsys.readouterr().out
    assert f"{mock.url}/connect/login?api_key={mock.api_key}&v=3" in out
    assert "http://127.0.0.1:5000/cb" in out
    assert profile.user_id == "XX0000"
    assert mock.api_secret not in out and mock.access_token not in out
    assert mock.api_secret not in repr(broker) and mock.access_token not in repr(broker)
