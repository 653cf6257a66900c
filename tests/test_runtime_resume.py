"""Kill a replayed paper session with SIGKILL at random moments; resuming must end with the
same trades as a run never interrupted, and no order journaled (sent) twice."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from scalpbot.data import write_csv
from scalpbot.data.series import BarSeries

SCALPBOT = [sys.executable, "-m", "scalpbot"]
BARS = 20_000
KILLS = 4


def make_data(path: Path) -> Path:
    rng = np.random.default_rng(11)
    close = 1000 + np.cumsum(rng.normal(0, 1.0, BARS)).round(1)
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) + rng.integers(0, 5, BARS) / 10
    low = np.minimum(open_, close) - rng.integers(0, 5, BARS) / 10
    ts = 1_748_835_900_000_000_000 + np.arange(BARS, dtype=np.int64) * 60_000_000_000
    write_csv(BarSeries(ts, open_, high, low, close, np.full(BARS, 100.0)), path)
    return path


def command(home: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return [
        *SCALPBOT,
        "run",
        "--home",
        str(home),
        "--feed",
        "replay",
        "--data",
        str(data),
        "--speed",
        "max",
        "--strategy",
        "ma_cross",
        "--param",
        "fast=5",
        "--param",
        "slow=20",
        "--param",
        "long_only=false",
        "--json",
        str(out),
        "--quiet",
        *extra,
    ]


def test_sigkill_and_resume_loses_and_doubles_nothing(tmp_path: Path) -> None:
    data = make_data(tmp_path / "walk.csv")
    reference_out = tmp_path / "reference.json"
    subprocess.run(
        command(tmp_path / "ref", data, reference_out), check=True, timeout=600, capture_output=True
    )
    reference = json.loads(reference_out.read_text())
    assert len(reference["trades"]) > 100

    seed = int(os.environ.get("SCALPBOT_KILL_SEED", "20261124"))
    rng = random.Random(seed)
    home, out = tmp_path / "killed", tmp_path / "resumed.json"
    kills = 0
    while kills < KILLS:
        process = subprocess.Popen(
            command(home, data, out, "--resume"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(rng.uniform(0.5, 2.5))
        if process.poll() is not None:
            break  # finished before the kill: the remaining trials have nothing to kill
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    assert kills >= 2, f"the session finished before it could be killed (seed {seed})"
    done = subprocess.run(
        command(home, data, out, "--resume"), timeout=600, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    resumed = json.loads(out.read_text())

    assert resumed["trades"] == reference["trades"], f"seed {seed}"
    assert resumed["final_equity"] == reference["final_equity"]
    assert len(resumed["orders"]) == len(reference["orders"])

    with sqlite3.connect(home / "scalpbot.db") as db:
        sessions = db.execute("SELECT id FROM trading_sessions").fetchall()
        assert len(sessions) == 1, "every restart must resume the one session"
        (count,) = db.execute("SELECT COUNT(*) FROM orders").fetchone()
        (distinct,) = db.execute("SELECT COUNT(DISTINCT client_order_id) FROM orders").fetchone()
        (fills,) = db.execute("SELECT COUNT(*) FROM fills").fetchone()
    assert count == distinct == len(reference["orders"])
    filled = sum(1 for o in reference["orders"] if o["filled_quantity"] > 0)
    assert fills >= filled
