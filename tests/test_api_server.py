"""The real thing: `scalpbot serve` in its own process on a loopback port, spoken to over HTTP
and WebSocket; `scalpbot admin set-password`; the first start's one-time password; the rule
that a non-loopback address needs a password."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from api_support import PASSWORD, SCALPBOT, USERNAME, Server, start_server, stop_server
from scalpbot.cli.serve import is_loopback
from scalpbot.config import init_home

pytest_plugins = ["api_fixtures"]


def _client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30, trust_env=False)


def _login(server: Server, password: str = PASSWORD) -> dict[str, Any]:
    with _client(server) as client:
        response = client.post("/api/login", json={"username": USERNAME, "password": password})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def _ws(server: Server, query: str = "", **kwargs: Any) -> ClientConnection:
    url = server.url.replace("http://", "ws://") + "/ws" + query
    return connect(url, proxy=None, open_timeout=10, **kwargs)


def _collect(ws: ClientConnection, wanted: set[str], timeout: float) -> list[dict[str, Any]]:
    """Messages until every type in `wanted` was seen (or fail after `timeout` s)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not wanted <= {m["type"] for m in seen}:
        left = deadline - time.monotonic()
        if left <= 0:
            missing = wanted - {m["type"] for m in seen}
            raise AssertionError(f"no {sorted(missing)} within {timeout} s")
        try:
            seen.append(json.loads(ws.recv(timeout=left)))
        except TimeoutError:
            continue
    return seen


def test_the_server_answers_http_and_pushes_everything_over_the_websocket(
    server: Server,
) -> None:
    login = _login(server)
    bearer = {"Authorization": f"Bearer {login['token']}"}
    with _client(server) as client:
        assert client.get("/api/status").status_code == 401
        status = client.get("/api/status", headers=bearer).json()
        assert status["state"] == "running" and status["session"]["feed"] == "simulated"
    with _ws(server, f"?token={login['token']}") as ws:
        first = json.loads(ws.recv(timeout=10))
        assert first["type"] == "status" and first["data"]["state"] == "running"
        ws.send(json.dumps({"watch": ["nse:infy"]}))
        with _client(server) as client:  # a change is logged, so a "log" line must follow
            changed = client.put(
                "/api/settings/risk", json={"max_consecutive_losses": 50}, headers=bearer
            )
            assert changed.status_code == 200
        messages = _collect(
            ws, {"watching", "tick", "order", "fill", "position", "pnl", "log", "status"}, 60
        )
        watching = next(m for m in messages if m["type"] == "watching")
        assert watching["data"] == {"instruments": ["NSE:INFY"]}
        ticks = [m["data"] for m in messages if m["type"] == "tick"]
        assert {t["instrument"] for t in ticks} == {"NSE:INFY"}
        fill = next(m["data"] for m in messages if m["type"] == "fill")
        assert isinstance(fill["price"], str) and fill["quantity"] > 0
        logged = [m["data"] for m in messages if m["type"] == "log"]
        assert all({"id", "kind", "message", "time"} <= set(line) for line in logged)
        pnl = next(m["data"] for m in messages if m["type"] == "pnl")
        assert isinstance(pnl["equity"], str)
        ws.send("not json")
        ws.send(json.dumps({"watch": ["INFY"]}))
        errors = [m for m in _collect(ws, {"error"}, 10) if m["type"] == "error"]
        assert "not JSON" in errors[0]["data"]["message"]


def test_websocket_handshakes_without_valid_credentials_are_refused(server: Server) -> None:
    for query in ("", "?token=wrong"):
        with pytest.raises(InvalidStatus) as refused:
            _ws(server, query)
        assert refused.value.response.status_code == 403
    login = _login(server)
    cookie = {"Cookie": f"scalpbot_session={login['token']}"}
    host = server.url.removeprefix("http://")
    with _ws(server, additional_headers=cookie, origin=f"http://{host}") as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "status"
    with pytest.raises(InvalidStatus):
        _ws(server, additional_headers=cookie, origin="http://evil.example")


def test_first_start_prints_a_one_time_password_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_home(home)
    first = start_server(home, "--no-start")
    try:
        line = next(x for x in first.first_output.splitlines() if "one-time password" in x)
        password = line.rsplit(" ", 1)[1]
        assert len(password) >= 16
        login = _login(first, password)
        assert login["username"] == "admin"
    finally:
        out, err = stop_server(first)
    assert first.process.returncode == 0, err  # SIGTERM: a clean shutdown, exit status 0
    assert password not in out + err  # printed once, at the start, and never logged
    second = start_server(home, "--no-start")
    try:
        assert "one-time password" not in second.first_output
        assert second.first_output.startswith("dashboard: http://127.0.0.1:")
    finally:
        stop_server(second)


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SCALPBOT, *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_a_non_loopback_address_needs_a_password_first(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_home(home)
    # 192.0.2.1 is TEST-NET-1: never this machine's, so nothing is ever bound or sent there.
    refused = _run("serve", "--home", str(home), "--host", "192.0.2.1", "--no-start")
    assert refused.returncode == 2
    assert "refusing to listen on 192.0.2.1" in refused.stderr
    assert "set-password" in refused.stderr
    made = _run(
        "admin", "set-password", "--home", str(home), "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "password of dashboard user 'admin' set"
    assert PASSWORD not in made.stdout + made.stderr
    # Now the rule lets it through; binding an address this machine lacks then fails.
    allowed = _run("serve", "--home", str(home), "--host", "192.0.2.1", "--no-start")
    assert "refusing" not in allowed.stderr
    assert allowed.returncode != 0 and "could not start" in allowed.stderr


def test_admin_set_password_checks_the_password_and_ends_old_logins(
    server: Server, home: Path
) -> None:
    login = _login(server)
    short = _run("admin", "set-password", "--home", str(home), "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    empty = _run("admin", "set-password", "--home", str(home), "--password-stdin", stdin="")
    assert empty.returncode == 2 and "no password" in empty.stderr
    new = "a much better passphrase"
    changed = _run(
        "admin", "set-password", "--home", str(home), "--password-stdin", stdin=new + "\n"
    )
    assert changed.returncode == 0 and "1 login session(s) ended" in changed.stdout
    time.sleep(2.5)  # the server caches a valid login for up to 2 s
    with _client(server) as client:
        old = client.get("/api/status", headers={"Authorization": f"Bearer {login['token']}"})
        assert old.status_code == 401
    assert _login(server, new)["username"] == USERNAME


def test_loopback_addresses() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.5", "example.com", "::"))
