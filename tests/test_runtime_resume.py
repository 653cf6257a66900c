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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from crash_paper import make_walk  # the crash trials' data, shared
from scalpbot.domain import OrderStatus
from scalpbot.store import Store, sqlite_url

SCALPBOT = [sys.executable, "-m", "scalpbot"]
BARS = 20_000
KILLS = 4
KINDS = "SELECT kind, COUNT(*) FROM events"


def make_data(path: Path) -> Path:
    return make_walk(path, seed=11, bars=BARS)


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


def test_resume_of_a_run_killed_before_its_first_checkpoint(tmp_path: Path) -> None:
    """A kill before the first checkpoint leaves orders and events in the store but no
    progress mark: the resumed run re-derives from the start and must neither rewrite nor
    duplicate what is stored (found by the SIGKILL test above, which failed on it once)."""
    data = make_data(tmp_path / "walk.csv")
    home, out = tmp_path / "home", tmp_path / "out.json"
    subprocess.run(
        command(home, data, tmp_path / "first.json"), check=True, timeout=600, capture_output=True
    )
    first = json.loads((tmp_path / "first.json").read_text())
    with sqlite3.connect(home / "scalpbot.db") as db:
        events_before = dict(db.execute(f"{KINDS} GROUP BY kind").fetchall())
        (changes_before,) = db.execute("SELECT COUNT(*) FROM order_status_history").fetchone()
        # As if killed just after it wrote everything, before any progress mark was stored.
        db.execute(
            "UPDATE trading_sessions SET finished_at = NULL, status = 'running', "
            "last_bar_index = NULL"
        )
        db.execute("DELETE FROM paper_states")
    done = subprocess.run(
        command(home, data, out, "--resume"), timeout=600, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    resumed = json.loads(out.read_text())
    assert resumed["trades"] == first["trades"]
    with sqlite3.connect(home / "scalpbot.db") as db:
        (sessions,) = db.execute("SELECT COUNT(*) FROM trading_sessions").fetchone()
        (changes_after,) = db.execute("SELECT COUNT(*) FROM order_status_history").fetchone()
        events_after = dict(db.execute(f"{KINDS} GROUP BY kind").fetchall())
    assert sessions == 1
    assert changes_after == changes_before, "no status change may be written twice"
    # What the strategies did is logged once; only the restart itself adds lines.
    restart_lines = {"session_started", "session_finished", "reconciled"}
    for kind, count in events_after.items():
        if kind not in restart_lines:
            assert count == events_before.get(kind), kind


def test_a_kill_between_storing_an_order_and_sending_it(tmp_path: Path) -> None:
    """The `after_journal` failpoint SIGKILLs the session right after its third order is
    stored, before the exchange has it; the resumed run sends it once and ends as the
    uninterrupted run did."""
    data = make_walk(tmp_path / "walk.csv", seed=11, bars=3_000)
    reference_out = tmp_path / "reference.json"
    subprocess.run(
        command(tmp_path / "ref", data, reference_out), check=True, timeout=600, capture_output=True
    )
    home, out = tmp_path / "killed", tmp_path / "out.json"
    env = {**os.environ, "SCALPBOT_FAILPOINT": "after_journal:3"}
    killed = subprocess.run(
        command(home, data, out, "--resume"), env=env, timeout=600, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL
    with sqlite3.connect(home / "scalpbot.db") as db:
        in_database = db.execute("SELECT count(*) FROM orders").fetchone()[0]
        (session_id,) = db.execute("SELECT id FROM trading_sessions").fetchone()
    assert in_database == 2  # the third is in the store's intent file only...
    assert len(list((home / "scalpbot.db-intents").glob("*.intents"))) == 1
    with Store.open(sqlite_url(home / "scalpbot.db")) as store:  # ...which opening folds in
        stored = [(o.client_order_id, o.status) for o in store.orders.for_session(session_id)]
    assert len(stored) == 3 and stored[-1][1] is OrderStatus.PENDING_SUBMIT
    assert not list((home / "scalpbot.db-intents").glob("*.intents"))
    done = subprocess.run(
        command(home, data, out, "--resume"), timeout=600, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    resumed, reference = json.loads(out.read_text()), json.loads(reference_out.read_text())
    assert resumed["trades"] == reference["trades"]
    assert len(resumed["orders"]) == len(reference["orders"])


def test_a_malformed_failpoint_setting_arms_nothing() -> None:
    from scalpbot.runtime.failpoints import Failpoint

    for setting in ("after_journal", "after_journal:x", "other:1", "", "after_journal:0"):
        point = Failpoint("after_journal", setting)
        for _ in range(3):
            point.hit()  # still alive
