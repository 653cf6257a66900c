"""Starting the Kite sandbox for a test, logging in to it, and driving its control API."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from scalpbot.brokers import create_broker
from scalpbot.brokers.zerodha.broker import ZerodhaBroker
from scalpbot.sandbox.zerodha.server import SandboxServer
from scalpbot.sandbox.zerodha.state import SandboxConfig

API_KEY, API_SECRET = "sandbox_key", "sandbox_secret"


@contextmanager
def running_sandbox(**options: Any) -> Iterator[SandboxServer]:
    config = SandboxConfig(
        redirect_url=options.pop("redirect_url", "http://127.0.0.1:9/callback"),
        tick_interval=options.pop("tick_interval", 0.05),
        **options,
    )
    server = SandboxServer(config)
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def logged_in_broker(server: SandboxServer, tmp_path: Path, **extra: Any) -> ZerodhaBroker:
    """Our Zerodha adapter pointed at `server`, logged in through the redirect flow."""
    broker = create_broker(
        broker_name="zerodha",
        api_key=API_KEY,
        api_secret=API_SECRET,
        base_url=server.http_url,
        login_url=server.http_url,
        ws_url=server.ws_url,
        token_file=tmp_path / "token.json",
        instruments_cache=tmp_path / "instruments.csv",
        **extra,
    )
    assert isinstance(broker, ZerodhaBroker)
    broker.complete_login(redirected_login_url(server))
    return broker


def redirected_login_url(server: SandboxServer) -> str:
    """What the browser lands on after logging in: the redirect URL with a request_token."""
    reply = httpx.get(
        f"{server.http_url}/connect/login", params={"api_key": API_KEY, "v": 3, "auto": 1}
    )
    assert reply.status_code == 302, reply.text
    return str(reply.headers["location"])


def control(server: SandboxServer, path: str, body: dict[str, Any] | None = None) -> Any:
    url = f"{server.http_url}/sandbox/{path}"
    reply = httpx.post(url, json=body or {}) if body is not None else httpx.get(url)
    assert reply.status_code == 200, reply.text
    return reply.json()["data"]


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, step: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")


def live_config(server: SandboxServer, extra: str = "") -> str:
    """config.yaml of a home that trades live on `server`: ma_cross 2/3 on INFY and SBIN."""
    return f"""
broker:
  name: zerodha
  api_key: {API_KEY}
  base_url: {server.http_url}
  login_url: {server.http_url}
  ws_url: {server.ws_url}
trading:
  mode: live
  symbols: [NSE:INFY, NSE:SBIN]
  timeframe: 1m
  market_hours: always
  strategies:
    - name: ma_cross
      params: {{fast: 2, slow: 3, long_only: false}}
{extra}"""


SCALPBOT = str(Path(sys.executable).with_name("scalpbot"))


def live_home(tmp_path: Path, server: SandboxServer, extra: str = "") -> Path:
    """A scalpbot home that trades live on `server` (see `live_config`), logged in."""
    home = tmp_path / "home"
    subprocess.run([SCALPBOT, "init", "--home", str(home)], check=True, capture_output=True)
    (home / "config.yaml").write_text(live_config(server, extra), encoding="utf-8")
    with (home / "secrets.env").open("a", encoding="utf-8") as secrets:
        secrets.write(f"SCALPBOT__BROKER__API_SECRET={API_SECRET}\n")
    login = subprocess.run(
        [SCALPBOT, "login", "zerodha", "--home", str(home), "--url",
         redirected_login_url(server)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    assert "logged in to zerodha as SB0001" in login.stdout
    return home


def start_live(home: Path, *extra: str) -> subprocess.Popen[str]:
    """`scalpbot run --mode live` on `home`, in the background."""
    return subprocess.Popen(
        [SCALPBOT, "run", "--home", str(home), "--mode", "live", "--broker", "zerodha",
         "--quiet", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def kill_after_orders(home: Path, server: SandboxServer, orders: int) -> None:
    """Run a live session on `home` until the broker holds `orders` orders, then SIGKILL it."""
    session = start_live(home)
    try:
        wait_until(lambda: len(control(server, "orders")["orders"]) >= orders, timeout=40)
    finally:
        session.send_signal(signal.SIGKILL)
        session.wait(timeout=10)


def broker_row(server: SandboxServer, tag: str) -> dict[str, Any]:
    """The one order at the broker carrying `tag` (fails if there is not exactly one)."""
    [row] = [r for r in control(server, "orders")["orders"] if r["tag"] == tag]
    return dict(row)
