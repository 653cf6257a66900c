"""`scalpbot backtest` as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scalpbot.data import sample_path

SCALPBOT = [sys.executable, "-m", "scalpbot"]
TRADE_KEYS = {
    "instrument",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "quantity",
    "side",
    "pnl",
    "charges",
    "net_pnl",
}
METRIC_KEYS = {
    "net_pnl",
    "return_pct",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown_pct",
    "win_rate",
    "profit_factor",
    "expectancy",
    "trades",
    "exposure_pct",
    "charges",
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCALPBOT, *args], capture_output=True, text=True, timeout=120)


def test_backtest_writes_json_and_report(tmp_path: Path) -> None:
    out, report = tmp_path / "r.json", tmp_path / "r.html"
    done = run(
        "backtest",
        "--data",
        str(sample_path("GOOG.csv")),
        "--strategy",
        "ma_cross",
        "--param",
        "fast=10",
        "--param",
        "slow=20",
        "--quantity",
        "5",
        "--charges",
        "zerodha",
        "--product",
        "CNC",
        "--json",
        str(out),
        "--report",
        str(report),
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert {"bars", "trades", "open_position", "final_equity", "metrics"} <= set(document)
    assert document["bars"] == 2148
    assert set(document["metrics"]) == METRIC_KEYS
    assert document["metrics"]["trades"] == len(document["trades"]) > 10
    for trade in document["trades"]:
        assert set(trade) == TRADE_KEYS
        assert trade["entry_time"].startswith("20") and "+05:30" in trade["entry_time"]
        assert trade["charges"] > 0  # delivery: STT both sides, stamp, DP on sells
        assert trade["net_pnl"] == pytest.approx(trade["pnl"] - trade["charges"])
    assert document["open_position"] is None or set(document["open_position"]) == {
        "entry_time",
        "entry_price",
        "quantity",
        "side",
    }
    html = report.read_text()
    assert "<html" in html and "ma_cross" in html and '<script src="http' not in html
    assert "net_pnl" in done.stdout


def test_json_to_stdout_is_pure_json() -> None:
    done = run(
        "backtest",
        "--data",
        str(sample_path("2006-min-005.txt")),
        "--strategy",
        "rsi_reversion",
        "--charges",
        "none",
        "--json",
        "-",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["metrics"]["charges"] == 0


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--strategy", "nope"], "unknown strategy 'nope'"),
        (["--strategy", "ma_cross", "--param", "fast"], "expected NAME=VALUE"),
        (
            ["--strategy", "ma_cross", "--param", "fast=50", "--param", "slow=20"],
            "must be below slow",
        ),
        (["--strategy", "ma_cross", "--cash", "lots"], "--cash: 'lots' is not a number"),
        (
            ["--strategy", "ma_cross", "--quantity", "3", "--lot-size", "2"],
            "not a positive multiple of the lot size 2",
        ),
    ],
)
def test_bad_arguments_get_one_line(extra: list[str], fragment: str) -> None:
    done = run("backtest", "--data", str(sample_path("GOOG.csv")), *extra)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], done.stderr


def test_bad_data_file_names_the_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text(
        "datetime,open,high,low,close,volume\n"
        "2025-06-02 09:15:00,100,101,99,100,10\n"
        "2025-06-02 09:16:00,100,99,101,100,10\n"
    )
    done = run("backtest", "--data", str(data), "--strategy", "ma_cross")
    assert done.returncode == 2
    assert "line 3" in done.stderr and "bad.csv" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_user_strategy_from_the_command_line(tmp_path: Path) -> None:
    source = tmp_path / "mine.py"
    source.write_text(
        "from scalpbot.strategies import Strategy, pct\n"
        "class BuyFirst(Strategy):\n"
        "    def on_start(self):\n"
        "        self.done = False\n"
        "    def on_bar(self, bar):\n"
        "        if not self.done:\n"
        "            self.done = True\n"
        "            self.ctx.buy(stop_loss=pct(5), target=pct(5))\n"
    )
    done = run(
        "backtest",
        "--data",
        str(sample_path("GOOG.csv")),
        "--strategy",
        f"{source}:BuyFirst",
        "--json",
        "-",
    )
    assert done.returncode == 0, done.stderr
    trades = json.loads(done.stdout)["trades"]
    assert len(trades) == 1
    change = trades[0]["exit_price"] / trades[0]["entry_price"] - 1
    # The legs act from the bar after the entry; a gap through the target fills at the open.
    assert change >= 0.05 or change <= -0.05


def test_save_stores_the_run_in_the_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run(
        "backtest",
        "--data",
        str(sample_path("GOOG.csv")),
        "--strategy",
        "ma_cross",
        "--save",
        "--home",
        str(home),
    )
    assert done.returncode == 0, done.stderr
    assert "stored as backtest run 1" in done.stdout
    from scalpbot.store import Store

    store = Store.open(f"sqlite:///{home / 'scalpbot.db'}")
    try:
        (saved,) = store.backtests.list(10)
        assert saved.strategy == "ma_cross" and saved.metrics["trades"] > 0
    finally:
        store.close()
