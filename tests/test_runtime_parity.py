"""A paper session replaying a file trades exactly as a backtest of that file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scalpbot.data import sample_path

SCALPBOT = [sys.executable, "-m", "scalpbot"]


def scalpbot(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*SCALPBOT, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.parametrize(
    "params",
    [
        [
            "--strategy",
            "ma_cross",
            "--param",
            "fast=10",
            "--param",
            "slow=30",
            "--param",
            "long_only=false",
        ],
        [
            "--strategy",
            "breakout",
            "--param",
            "mode=donchian",
            "--param",
            "period=30",
            "--param",
            "stop_atr=1.5",
        ],
        ["--strategy", "rsi_reversion", "--param", "stop_pct=0.2", "--param", "long_only=false"],
    ],
    ids=["ma_cross", "breakout", "rsi_reversion"],
)
def test_replayed_paper_session_equals_backtest(tmp_path: Path, params: list[str]) -> None:
    data = str(sample_path("2006-min-005.txt"))
    backtest_json, session_json = tmp_path / "backtest.json", tmp_path / "session.json"
    scalpbot("backtest", "--data", data, *params, "--json", str(backtest_json))
    scalpbot(
        "run",
        "--home",
        str(tmp_path / "home"),
        "--mode",
        "paper",
        "--feed",
        "replay",
        "--data",
        data,
        "--speed",
        "max",
        *params,
        "--json",
        str(session_json),
        "--quiet",
    )
    backtest = json.loads(backtest_json.read_text())
    session = json.loads(session_json.read_text())
    assert len(backtest["trades"]) > 5
    assert session["trades"] == backtest["trades"]
    assert session["open_position"] == backtest["open_position"]
    assert session["final_equity"] == backtest["final_equity"]
    assert session["metrics"] == backtest["metrics"]
    assert session["bars"] == backtest["bars"]
    orders = session["orders"]
    assert orders and all(
        {"client_order_id", "broker_order_id", "status"} <= set(order) for order in orders
    )
    assert len({o["client_order_id"] for o in orders}) == len(orders)
    filled = [o for o in orders if o["status"] == "FILLED"]
    assert len(filled) >= 2 * len(backtest["trades"])
