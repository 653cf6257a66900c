"""Paper sessions on the simulated market: square-off, clean stops, journaling, bad config."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from engine_harness import Scripted
from scalpbot.data.simulated.feed import SimulatedFeed
from scalpbot.data.simulated.instruments import simulated_instruments
from scalpbot.domain import IST, OrderStatus
from scalpbot.engine.engine import EngineSettings
from scalpbot.engine.risk_settings import RiskSettings
from scalpbot.runtime.session import SessionSpec, StrategySlot, TradingSession
from scalpbot.runtime.sim_rules import simulated_session_rules
from scalpbot.store import Store

SCALPBOT = [sys.executable, "-m", "scalpbot"]


class StopAfter:
    """Stops the session once the simulated clock passes a time (the test's own observer)."""

    def __init__(self, until: datetime) -> None:
        self.until_ns = int(until.timestamp()) * 1_000_000_000

    def __call__(self, session: TradingSession) -> None:
        if session.clock.ts >= self.until_ns:
            session.request_stop("test over")


@pytest.mark.parametrize("year", [2025, 2027])  # 2027: beyond the exchange calendar's years
def test_mis_positions_are_squared_off_at_1520(tmp_path: Path, year: int) -> None:
    reliance = simulated_instruments()["NSE:RELIANCE"]
    strategy = Scripted({0: lambda ctx: ctx.buy(5)})
    spec = SessionSpec(
        mode="paper",
        feed_kind="simulated",
        broker="paper",
        slots=[StrategySlot(strategy, reliance, "scripted:NSE:RELIANCE", "scripted", {})],
        engine_settings=EngineSettings(initial_cash=Decimal(1_000_000)),
        risk=RiskSettings(capital=Decimal(1_000_000)),
        resume_key="square-off-test",
        session_rules=simulated_session_rules(),
    )
    start = datetime(year, 6, 2 if year == 2025 else 1, 15, 10, tzinfo=IST)
    feed = SimulatedFeed(["NSE:RELIANCE"], seed=3, start=start, speed=None)
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        session = TradingSession(
            spec,
            feed,
            store,
            status=StopAfter(start.replace(minute=24)),
            status_interval_s=0,
        )
        report = asyncio.run(session.run())
        assert session.engine.portfolio.position_quantity("NSE:RELIANCE") == 0
        (trade,) = report["trades"]
        assert trade["quantity"] == 5
        assert trade["exit_time"].startswith(start.date().isoformat() + "T15:20")
        stored = store.orders.for_session(session.session_id)
        assert [o.status for o in stored] == [OrderStatus.FILLED, OrderStatus.FILLED]
        assert stored[1].role == "exit"
        kinds = [e.kind for e in store.events.recent(50)]
        assert "square_off" in kinds
        assert len(store.fills.for_session(session.session_id)) == 2
        # After the square-off time no new MIS entry is allowed.
        assert strategy.ctx.buy(1) is None
    finally:
        store.close()


def test_run_on_the_simulated_market_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    home = tmp_path / "home"
    subprocess.run([*SCALPBOT, "init", "--home", str(home)], check=True, capture_output=True)
    out = tmp_path / "session.json"
    process = subprocess.Popen(
        [
            *SCALPBOT,
            "run",
            "--home",
            str(home),
            "--feed",
            "simulated",
            "--speed",
            "3000",
            "--strategy",
            "ma_cross",
            "--param",
            "fast=3",
            "--param",
            "slow=8",
            "--json",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(8)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "| running |" in stderr  # the status line
    report = json.loads(out.read_text())
    assert report["status"] == "interrupted"
    assert report["bars"] > 20 and report["orders"]
    assert all(o["status"] in {"FILLED", "CANCELLED"} for o in report["orders"])
    with sqlite3.connect(home / "scalpbot.db") as db:
        (status,) = db.execute("SELECT status FROM trading_sessions").fetchone()
        (orders,) = db.execute("SELECT COUNT(*) FROM orders").fetchone()
    assert status == "interrupted"
    assert orders == len(report["orders"])


def test_bad_config_stops_startup_and_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("trading:\n  timeframe: 2m\n")
    done = subprocess.run(
        [*SCALPBOT, "run", "--home", str(home)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "trading.timeframe" in done.stderr and "2m" in done.stderr
    assert not (home / "scalpbot.db").exists()


def test_unknown_simulated_symbol_is_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text(
        "trading:\n  symbols: ['NSE:ACME']\n  strategies: [{name: ma_cross}]\n"
    )
    done = subprocess.run(
        [*SCALPBOT, "run", "--home", str(home)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "NSE:ACME" in done.stderr and "NSE:RELIANCE" in done.stderr
