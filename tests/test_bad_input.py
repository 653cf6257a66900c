"""Bad input, from the outside in: each gives an error that names the problem, and nothing
already stored is changed.

- broker replies of unexpected shapes, on every read and order call of the Kite adapter;
- a live session resuming against a broker whose order book reply is malformed;
- a malformed config file, for a home that already holds a session;
- CSVs with broken rows, for `backtest --save` and `optimize --save` into a store with runs.

(Instrument masters with missing columns: test_zerodha_instruments.py; CSV row errors in
detail: test_data_csv_errors.py; config errors in detail: test_config_loading.py; API requests:
test_api_schemathesis.py; ticker frames: test_feed_faults.py.)
"""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox_support import (
    control,
    kill_after_orders,
    live_home,
    running_sandbox,
    start_live,
    wait_until,
)
from scalpbot.brokers.zerodha.broker import ZerodhaBroker
from scalpbot.brokers.zerodha.http import RetryPolicy
from scalpbot.data import sample_path
from scalpbot.domain import ScalpbotError
from zerodha_mock_server import FakeClock, Fault, KiteMock

SCALPBOT = [sys.executable, "-m", "scalpbot"]
Call = Callable[[ZerodhaBroker], Any]


def _ok(data: Any) -> dict[str, Any]:
    return {"status": "success", "data": data}


def _place(broker: ZerodhaBroker) -> Any:
    return broker.place_order(
        symbol="INFY", exchange="NSE", transaction_type="BUY", quantity=1, tag="BADSHAPE1"
    )


SHAPES: list[tuple[str, str, Any, Call, str]] = [
    ("GET", "/orders", _ok({"a": 1}), lambda b: b.get_orders(), "GET /orders: .*object"),
    ("GET", "/orders", _ok([5]), lambda b: b.get_orders(), "GET /orders: row 1 is the int"),
    ("GET", "/orders", _ok([{"order_id": "1"}]), lambda b: b.get_orders(), "Kite order 1"),
    ("GET", "/orders", {"status": "success"}, lambda b: b.get_orders(), "unreadable reply"),
    ("GET", "/orders", [1, 2], lambda b: b.get_orders(), "unreadable reply"),
    ("GET", "/trades", _ok("nope"), lambda b: b.get_trades(), "GET /trades: .*str"),
    ("GET", "/trades", _ok([{"trade_id": "1"}]), lambda b: b.get_trades(), "no order_id"),
    ("GET", "/portfolio/positions", _ok({"day": []}), lambda b: b.get_positions(), "no 'net'"),
    ("GET", "/portfolio/positions", _ok([1]), lambda b: b.get_positions(), "positions: .*list"),
    ("GET", "/portfolio/holdings", _ok({"x": 1}), lambda b: b.get_holdings(), "holdings"),
    ("GET", "/user/margins", _ok([]), lambda b: b.get_funds(), "GET /user/margins"),
    ("GET", "/user/profile", _ok([]), lambda b: b.get_profile(), "GET /user/profile"),
    ("GET", "/user/profile", _ok({}), lambda b: b.get_profile(), "user_id"),
    ("GET", "/quote", _ok([]), lambda b: b.get_quote("INFY"), "no quote for NSE:INFY"),
    (
        "GET",
        "/quote",
        _ok({"NSE:INFY": {"last_price": "abc"}}),
        lambda b: b.get_quote("INFY"),
        "last_price 'abc' is not a number",
    ),
    ("GET", "/orders/X1", _ok({}), lambda b: b.get_order_history("X1"), "GET /orders/X1"),
    ("POST", "/orders/regular", _ok({"id": "1"}), _place, "no order_id; the outcome"),
    ("POST", "/orders/regular", _ok([]), _place, "no order_id; the outcome"),
]


@pytest.fixture(scope="module")
def kite() -> Iterator[KiteMock]:
    with KiteMock() as server:
        yield server


@pytest.mark.parametrize(("method", "path", "body", "call", "message"), SHAPES)
def test_a_broker_reply_of_an_unexpected_shape_is_named_not_crashed_on(
    kite: KiteMock, tmp_path: Path, method: str, path: str, body: Any, call: Call, message: str
) -> None:
    broker = ZerodhaBroker(
        kite.api_key,
        api_secret=kite.api_secret,
        access_token=kite.access_token,
        base_url=kite.url,
        instruments_cache=tmp_path / "instruments.csv",
        clock=FakeClock(),
        retry=RetryPolicy(attempts=2, base_delay_s=0.01, resolve_polls=2, resolve_delay_s=0.01),
    )
    broker.instrument("NSE:INFY")  # the master is read before the bad replies start
    kite.faults.clear()
    kite.fail(method, path, *[Fault(status=200, body=body) for _ in range(6)])
    try:
        with pytest.raises(ScalpbotError, match=message):
            call(broker)
    finally:
        kite.faults.clear()
        broker.close()


def _table(home: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "scalpbot.db") as db:
        return db.execute(query).fetchall()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_live_resume_against_a_malformed_order_book_refuses_and_changes_nothing(
    tmp_path: Path,
) -> None:
    with running_sandbox(time_scale=60) as sandbox:
        home = live_home(tmp_path, sandbox)
        kill_after_orders(home, sandbox, 2)
        orders = _table(home, "select * from orders order by id")
        fills = _table(home, "select * from fills order by id")
        at_broker = control(sandbox, "orders")["by_tag"]

        control(sandbox, "fault", {"kind": "malformed", "path": "/orders", "count": 50})
        refused = start_live(home, "--resume")
        _out, err = refused.communicate(timeout=60)
        assert refused.returncode == 2, err
        assert "GET /orders" in err and "where a list was expected" in err
        assert _table(home, "select * from orders order by id") == orders
        assert _table(home, "select * from fills order by id") == fills
        assert control(sandbox, "orders")["by_tag"] == at_broker  # nothing sent meanwhile

        control(sandbox, "fault", {"kind": "malformed", "path": "/orders", "count": 0})
        resumed = start_live(home, "--resume")
        try:
            reconciled = "select count(*) from events where kind='reconciled'"
            wait_until(lambda: _table(home, reconciled)[0][0], timeout=40)
        finally:
            resumed.send_signal(signal.SIGINT)
            _out, err = resumed.communicate(timeout=30)
        assert resumed.returncode == 0, err


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCALPBOT, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture()
def home_with_history(tmp_path: Path) -> Path:
    """A home whose store already holds a paper session and a saved backtest."""
    home = tmp_path / "home"
    data = str(sample_path("2006-min-005.txt"))
    base = ["--data", data, "--strategy", "ma_cross", "--param", "fast=3", "--param", "slow=9"]
    done = _run("run", "--home", str(home), "--feed", "replay", "--speed", "max", "--quiet", *base)
    assert done.returncode == 0, done.stderr
    saved = _run("backtest", "--home", str(home), "--save", *base)
    assert saved.returncode == 0, saved.stderr
    return home


BAD_CONFIGS = [
    ("trading:\n  capital: lots\n", "trading.capital"),
    ("trading:\n  timeframe: 7m\n", "trading.timeframe"),
    ("risk: [1, 2\n", "config.yaml, line 2, column 1: YAML syntax error"),
    ("tradng:\n  capital: 5\n", "tradng"),
]


@pytest.mark.parametrize(("config", "named"), BAD_CONFIGS)
def test_a_malformed_config_stops_the_run_before_the_store_is_touched(
    home_with_history: Path, config: str, named: str
) -> None:
    home = home_with_history
    (home / "config.yaml").write_text(config, encoding="utf-8")
    before = _digest(home / "scalpbot.db")
    done = _run("run", "--home", str(home), "--feed", "simulated", "--speed", "max")
    assert done.returncode == 2
    assert named in done.stderr and "Traceback" not in done.stderr
    assert _digest(home / "scalpbot.db") == before


def test_a_csv_with_a_broken_row_saves_no_backtest_or_sweep(
    home_with_history: Path, tmp_path: Path
) -> None:
    home = home_with_history
    good = sample_path("2006-min-005.txt").read_text().splitlines()
    broken = [*good[:50], good[50].replace(",", ",x", 1), *good[51:]]
    bad = tmp_path / "broken.txt"
    bad.write_text("\n".join(broken) + "\n", encoding="utf-8")
    runs = _table(home, "select * from backtest_runs")
    base = ["--home", str(home), "--data", str(bad), "--strategy", "ma_cross", "--save"]
    for command in (
        ["backtest", *base, "--param", "fast=3", "--param", "slow=9"],
        ["optimize", *base, "--space", "fast=3..5:1", "--space", "slow=9..10:1"],
    ):
        done = _run(*command)
        assert done.returncode == 2, command
        assert "line 51" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert _table(home, "select * from backtest_runs") == runs
