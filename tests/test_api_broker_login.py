"""Zerodha through the dashboard: the login callback (with its Strict-cookie hop), the login
status and connection test, and the signed order postback — against the Kite sandbox."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from api_support import Api, make_home, running_api
from sandbox_support import API_KEY, API_SECRET, running_sandbox
from scalpbot.sandbox.zerodha.server import SandboxServer

pytestmark = pytest.mark.anyio
CALLBACK = "http://testserver/api/broker/zerodha/callback"


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture()
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox(redirect_url=CALLBACK) as server:
        yield server


@pytest.fixture()
async def api(tmp_path: Path, sandbox: SandboxServer) -> AsyncIterator[Api]:
    home = make_home(tmp_path / "home")
    config = (home / "config.yaml").read_text()
    config = config.replace(
        "broker:\n",
        f"broker:\n  name: zerodha\n  api_key: {API_KEY}\n  base_url: {sandbox.http_url}\n"
        f"  login_url: {sandbox.http_url}\n  ws_url: {sandbox.ws_url}\n",
        1,
    )
    config = config.replace("  name: paper\n", "", 1).replace("  api_key: null\n", "", 1)
    config = config.replace("  base_url: null\n", "", 1).replace("  ws_url: null\n", "", 1)
    config = config.replace("  login_url: null\n", "", 1)
    (home / "config.yaml").write_text(config)
    with (home / "secrets.env").open("a") as secrets:
        secrets.write(f"SCALPBOT__BROKER__API_SECRET={API_SECRET}\n")
    async with running_api(home) as running:
        yield running


def _redirect(sandbox: SandboxServer, login_url: str) -> str:
    reply = httpx.get(login_url + "&auto=1")
    assert reply.status_code == 302
    location = str(reply.headers["location"])
    assert location.startswith(CALLBACK)
    return location.removeprefix("http://testserver")


async def test_the_callback_hops_to_send_the_strict_cookie_then_asks_for_a_login(
    api: Api, sandbox: SandboxServer
) -> None:
    path = _redirect(sandbox, f"{sandbox.http_url}/connect/login?api_key={API_KEY}&v=3")
    first = await api.client.get(path)
    assert first.status_code == 200 and "hop=1" in first.text and "http-equiv" in first.text
    second = await api.client.get(path + "&hop=1")
    assert second.status_code == 303
    assert second.headers["location"].startswith("/login?next=%2Fapi%2Fbroker%2Fzerodha")
    assert not (api.home / "tokens" / "zerodha.json").exists()


async def test_a_logged_in_user_completes_the_kite_login_through_the_callback(
    api: Api, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await api.login()
    headers = {"X-CSRF-Token": api.client.cookies.get("scalpbot_csrf", "")}
    before = (await api.client.get("/api/auth/status")).json()
    assert before["broker"] == "zerodha" and before["authenticated"] is False
    start = (await api.client.post("/api/authenticate", headers=headers)).json()
    assert start["status"] == "login_required"
    assert start["login_url"] == f"{sandbox.http_url}/connect/login?api_key={API_KEY}&v=3"
    path = _redirect(sandbox, start["login_url"])
    done = await api.client.get(path)
    assert done.status_code == 303 and done.headers["location"] == "/accounts?login=zerodha"
    token_file = api.home / "tokens" / "zerodha.json"
    assert os.stat(token_file).st_mode & 0o777 == 0o600
    status = (await api.client.get("/api/auth/status")).json()
    assert status["authenticated"] is True and status["user_id"] == "SB0001"
    assert status["expires_at"].endswith("06:00:00+05:30")
    test = await api.client.post("/api/broker/test", headers=headers)
    assert test.status_code == 200, test.text
    assert test.json()["profile"]["user_id"] == "SB0001"
    assert test.json()["funds"]["available_cash"] == "1000000.00"
    access_token = json.loads(token_file.read_text())["access_token"]
    request_token = path.split("request_token=")[1].split("&")[0]
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("scalpbot"))
    everything = ours + done.text + test.text + json.dumps(status) + json.dumps(start)
    for secret in (API_SECRET, access_token, request_token):
        assert secret not in everything


async def test_a_failed_kite_login_says_why(api: Api) -> None:
    await api.login()
    failed = await api.client.get("/api/broker/zerodha/callback?status=error&action=login")
    assert failed.status_code == 400 and "Kite reported the login failed" in failed.text
    forged = await api.client.get(
        "/api/broker/zerodha/callback?request_token=forged&status=success"
    )
    assert forged.status_code == 400 and "Zerodha login failed" in forged.text


async def test_postbacks_need_kites_checksum(
    api: Api, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    await api.login()
    login = f"{sandbox.http_url}/connect/login?api_key={API_KEY}&v=3"
    assert (await api.client.get(_redirect(sandbox, login))).status_code == 303
    api.client.cookies.clear()  # Kite's servers have no dashboard session
    row = json.loads((Path(__file__).parent / "data/zerodha/postback.json").read_text())
    stamp = row["order_timestamp"]
    good = dict(row, checksum=hashlib.sha256(
        f"{row['order_id']}{stamp}{API_SECRET}".encode()).hexdigest())  # fmt: skip
    accepted = await api.client.post("/api/broker/zerodha/postback", json=good)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"status": "ok", "applied": False}  # no live session runs
    bad = dict(row, checksum="0" * 64)
    refused = await api.client.post("/api/broker/zerodha/postback", json=bad)
    assert refused.status_code == 400 and "bad checksum" in refused.json()["detail"]
    garbage = await api.client.post("/api/broker/zerodha/postback", content=b"{nope")
    assert garbage.status_code == 400
    assert "bad checksum" in caplog.text and API_SECRET not in caplog.text
