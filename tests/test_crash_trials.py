"""A few crash trials in every test run (bench/crash_trials.py runs 200): a live session on the
Kite sandbox and a paper session on a replayed file are SIGKILLed, restarted with --resume, and
must have lost nothing, sent nothing twice and kept their books equal to the broker's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "crash_trials.py"


def test_killed_live_and_paper_sessions_lose_and_double_nothing() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--trials", "4", "--seed", "11"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 trials (2 live, 2 paper)" in done.stdout and ", 0 failed" in done.stdout
