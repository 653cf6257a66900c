"""Secrets never leave: a live session on the Kite sandbox runs under `scalpbot serve` with
known fake credentials everywhere a secret can be set, then every log line, the database file,
every API answer and every dashboard page are searched for them. None may appear."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api_support import PASSWORD, USERNAME, make_home, start_server, stop_server
from sandbox_support import (
    control,
    live_config,
    redirected_login_url,
    running_sandbox,
    wait_until,
)
from scalpbot.sandbox.zerodha.server import SandboxServer

API_SECRET = "SECRETapi9f3kdL0p"
BOT_TOKEN = "424242:SECRETtelegramQ7w"
SMTP_PASSWORD = "SECRETsmtpZ8x"
PAGES = ("/", "/strategies", "/accounts", "/settings")


@pytest.fixture()
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox(api_secret=API_SECRET, time_scale=60) as server:
        yield server


def _home(tmp_path: Path, sandbox: SandboxServer) -> Path:
    home = make_home(tmp_path / "home")
    alerts = (
        "alerts:\n  telegram: {enabled: false, chat_id: '42'}\n"
        "  email: {enabled: false, smtp_host: mail.example.com, username: bot}\n"
    )
    (home / "config.yaml").write_text(live_config(sandbox, alerts), encoding="utf-8")
    with (home / "secrets.env").open("a", encoding="utf-8") as secrets:
        secrets.write(
            f"SCALPBOT__BROKER__API_SECRET={API_SECRET}\n"
            f"SCALPBOT__ALERTS__TELEGRAM__BOT_TOKEN={BOT_TOKEN}\n"
            f"SCALPBOT__ALERTS__EMAIL__PASSWORD={SMTP_PASSWORD}\n"
        )
    return home


def test_no_secret_appears_in_logs_database_api_or_pages(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    import subprocess

    from api_support import SCALPBOT

    home = _home(tmp_path, sandbox)
    login = subprocess.run(
        [*SCALPBOT, "login", "zerodha", "--home", str(home), "--url",
         redirected_login_url(sandbox)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    access_token = json.loads((home / "tokens" / "zerodha.json").read_text())["access_token"]
    secrets = (API_SECRET, access_token, BOT_TOKEN, SMTP_PASSWORD)
    server = start_server(home)
    seen = [login.stdout, login.stderr, server.first_output]
    try:
        wait_until(lambda: len(control(sandbox, "orders")["orders"]) >= 4, timeout=60)
        with httpx.Client(base_url=server.url, timeout=30) as client:
            answer = client.post("/api/login", json={"username": USERNAME, "password": PASSWORD})
            assert answer.status_code == 200
            seen.append(answer.text)
            document = client.get("/openapi.json").json()
            for path, operations in document["paths"].items():
                if "get" in operations and "{" not in path:
                    seen.append(client.get(path).text)
            for page in PAGES:
                reply = client.get(page)
                assert reply.status_code == 200, page
                seen.append(reply.text)
            headers = {"X-CSRF-Token": client.cookies.get("scalpbot_csrf", "")}
            for path in ("/api/broker/test", "/api/authenticate"):
                seen.append(client.post(path, headers=headers).text)
            assert "SB0001" in seen[-2]  # the broker was really called
    finally:
        out, err = stop_server(server)
        seen += [out, err]
    time.sleep(0.2)
    database = b"".join(p.read_bytes() for p in home.glob("scalpbot.db*") if p.is_file())
    database += b"".join(p.read_bytes() for p in home.glob("scalpbot.db-intents/*"))
    assert b"ma_cross" in database  # the session was recorded
    logs = "".join(
        p.read_text(errors="replace") for p in (home / "logs").glob("**/*") if p.is_file()
    )
    everything = "\n".join(seen) + logs
    for secret in secrets:
        assert secret not in everything
        assert secret.encode() not in database
    assert control(sandbox, "orders")["orders"]  # it traded while we looked
