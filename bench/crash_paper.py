"""Crash trials of paper sessions (used by bench/crash_trials.py).

A paper session replays a bar file through the paper exchange at full speed; each trial kills
it with SIGKILL once or twice — at a random moment, or (half the time) right after its n-th
order is stored and before it reaches the exchange (the `after_journal` failpoint) — resumes
it with `--resume` until the data ends, and compares it with one run never interrupted:

- sent_twice: every client order id is stored once, and no more orders than the reference made;
- lost: the resumed run made exactly the reference's orders;
- fills: the store holds exactly the reference's fills (id, side, quantity, price, charges), so
  P&L from the store's fills is the uninterrupted run's P&L;
- positions: the net quantity from the store's fills equals the reference's, and the reported
  trades and final equity are the reference's;
- restart: every restart resumed the one session and the last one finished cleanly.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from scalpbot.data import write_csv
from scalpbot.data.series import BarSeries

SCALPBOT = str(Path(sys.executable).with_name("scalpbot"))
BARS = 8_000
FILL_COLUMNS = "fill_id, client_order_id, side, quantity, price, charges"
FAILPOINT = "SCALPBOT_FAILPOINT"


def make_walk(path: Path, seed: int = 11, bars: int = BARS) -> Path:
    """A seeded random walk of minute bars: the MA cross trades it often."""
    rng = np.random.default_rng(seed)
    close = 1000 + np.cumsum(rng.normal(0, 1.0, bars)).round(1)
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) + rng.integers(0, 5, bars) / 10
    low = np.minimum(open_, close) - rng.integers(0, 5, bars) / 10
    ts = 1_748_835_900_000_000_000 + np.arange(bars, dtype=np.int64) * 60_000_000_000
    write_csv(BarSeries(ts, open_, high, low, close, np.full(bars, 100.0)), path)
    return path


def _rows(home: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "scalpbot.db") as db:
        return db.execute(query).fetchall()


def _completed(home: Path) -> bool:
    """The home's one session is marked completed (False while there is no store yet)."""
    try:
        return _rows(home, "select status from trading_sessions") == [("completed",)]
    except sqlite3.OperationalError:
        return False


class PaperTrials:
    """Paper crash trials under `root`, all on one data file and one reference run."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.data = make_walk(root / "walk.csv")
        reference = root / "paper-reference"
        subprocess.run(self._command(reference, root / "reference.json"), check=True,
                       capture_output=True, timeout=600)  # fmt: skip
        self.report = json.loads((root / "reference.json").read_text())
        self.orders = {cid for (cid,) in _rows(reference, "select client_order_id from orders")}
        self.fills = set(_rows(reference, f"select {FILL_COLUMNS} from fills"))

    def _command(self, home: Path, out: Path, *extra: str) -> list[str]:
        return [
            SCALPBOT, "run", "--home", str(home), "--feed", "replay", "--data", str(self.data),
            "--speed", "max", "--strategy", "ma_cross", "--param", "fast=5", "--param", "slow=20",
            "--param", "long_only=false", "--json", str(out), "--quiet", *extra,
        ]  # fmt: skip

    def trial(self, number: int) -> list[str]:
        home, out = self.root / f"paper-{number}", self.root / f"paper-{number}.json"
        failures: list[str] = []
        finished = False  # a run reached the end of the data before its kill came
        for _ in range(self.rng.randint(1, 2)):
            env = dict(os.environ)
            aimed = self.rng.random() < 0.5  # right after an order is stored, before it is sent
            if aimed:
                env[FAILPOINT] = f"after_journal:{self.rng.randint(1, len(self.orders))}"
            process = subprocess.Popen(
                self._command(home, out, "--resume"),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
            )  # fmt: skip
            if not aimed:
                time.sleep(self.rng.uniform(0.2, 2.5))
                if process.poll() is None:
                    process.send_signal(signal.SIGKILL)
            process.wait(timeout=600)
            # The failpoint's turn never came, or the kill came too late: the session ended
            # (perhaps killed after completing, before its process exited). Another --resume
            # would start a new session, so this is the result.
            if process.returncode == 0 or _completed(home):
                finished = True
                break
        done = subprocess.CompletedProcess[str]([], 0, "", "")
        if not finished:
            done = subprocess.run(self._command(home, out, "--resume"), capture_output=True,
                                  text=True, timeout=600)  # fmt: skip
        sessions = _rows(home, "select count(*) from trading_sessions")[0][0]
        if done.returncode != 0 or sessions != 1:
            why = f"exit {done.returncode}, {sessions} sessions: {done.stderr.strip()[-300:]}"
            print(f"  paper trial {number}: restart: {why}", file=sys.stderr)
            return ["restart"]
        ids = [cid for (cid,) in _rows(home, "select client_order_id from orders")]
        if max(Counter(ids).values(), default=0) > 1 or len(ids) > len(self.orders):
            failures.append("sent_twice")
        if set(ids) != self.orders:
            failures.append("lost")
        if set(_rows(home, f"select {FILL_COLUMNS} from fills")) != self.fills:
            failures.append("fills")
        if not out.exists():  # the kill came between completing and writing the report
            return failures
        report = json.loads(out.read_text())
        same = (report["trades"], report["final_equity"]) == (
            self.report["trades"],
            self.report["final_equity"],
        )
        if not same:
            failures.append("positions")
        return failures
