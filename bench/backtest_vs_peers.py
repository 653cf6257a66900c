"""`scalpbot backtest` against backtesting.py: wall time and peak memory on 1,000,000 bars.

Each run is a whole process (interpreter start, imports, reading the CSV, the backtest, the
results), because that is what a user waits for and what the machine must hold. Runs alternate
(scalpbot, peer, scalpbot, peer ...) so drift in the machine's load falls on both tools alike.
Peak memory is the child's own maximum resident set size from `os.wait4`, which, unlike
`getrusage(RUSAGE_CHILDREN)`, is not a running maximum over every child ever reaped.

    .venv/bin/python bench/backtest_vs_peers.py [--bars N] [--repeat N] [--timeout S]

Target: scalpbot at least 3x faster than backtesting.py, with less peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from scalpbot.domain import DataError
from series import DEFAULT_BARS, benchmark_csv  # bench/ is on sys.path: this is run as a script

PEER_SCRIPT = Path(__file__).resolve().parent / "peers" / "backtesting_py_sma.py"
FAST, SLOW, QUANTITY = 10, 30, 1
TARGET_SPEEDUP = 3.0
SLOW_PEER_S = 600.0
POLL_S = 0.002
#: backtesting.py's own warnings about its input (anything else it says is about the run).
DATA_WARNINGS = ("Data index", "index is not", "prices are larger", "values are missing", "NaN")


@dataclass(frozen=True)
class Run:
    """One measured process: what it cost and what it printed."""

    tool: str
    seconds: float
    peak_kib: int
    timed_out: bool
    stdout: str
    stderr: str


def measure(
    tool: str, command: Sequence[str], timeout: float, env: dict[str, str], workdir: Path
) -> Run:
    """Run `command` to completion (or kill it after `timeout` s); time it and read its peak RSS.

    Output goes to files, not pipes, so a chatty child can never block on a full pipe while we
    wait for it. Waiting polls `os.wait4(..., WNOHANG)`: a blocking wait has no timeout, and
    polling every 2 ms adds at most that to a run of seconds.
    """
    out_path, err_path = workdir / f"{tool}.out", workdir / f"{tool}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout and not timed_out:
                timed_out = True
                process.kill()
            time.sleep(POLL_S)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, tell Popen
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    if process.returncode != 0 and not timed_out:
        sys.exit(
            f"{tool} failed (exit {process.returncode}): {' '.join(command)}\n{stderr[-3000:]}"
        )
    # ru_maxrss is KiB on Linux.
    return Run(tool, seconds, int(usage.ru_maxrss), timed_out, stdout, stderr)


def commands(csv: Path, json_out: Path) -> dict[str, list[str]]:
    scalpbot = [sys.executable, "-m", "scalpbot", "backtest", "--data", str(csv)]
    scalpbot += ["--strategy", "ma_cross", "--param", f"fast={FAST}", "--param", f"slow={SLOW}"]
    scalpbot += ["--param", "long_only=true", "--quantity", str(QUANTITY), "--charges", "none"]
    scalpbot += ["--json", str(json_out)]
    peer = [sys.executable, str(PEER_SCRIPT), str(csv), f"--fast={FAST}", f"--slow={SLOW}"]
    peer += [f"--quantity={QUANTITY}"]
    return {"scalpbot": scalpbot, "backtesting.py": peer}


def predicted_trades(csv: Path) -> dict[str, tuple[int, bool, int]]:
    """Closed trades and whether one is open at the end, under each tool's cross definition.

    backtesting.py's `crossover` is strict on both bars (below, then above), so a cross that
    passes through a bar where the averages are exactly equal is not a cross to it; scalpbot's
    `ma_cross` compares with the last bar where they differed, so it is. Integer prices tie
    often. Long-only, quantity 1: a signal fills at the next bar's open, so one on the last bar
    never fills. Third value: bars where the averages tie.
    """
    close = pd.read_csv(csv, usecols=["close"])["close"]
    fast = close.rolling(FAST).mean().to_numpy()
    slow = close.rolling(SLOW).mean().to_numpy()
    sign = np.sign(fast - slow)  # NaN during warm-up
    before = np.concatenate(([np.nan], sign[:-1]))
    last_nonzero = pd.Series(np.where(sign == 0, np.nan, sign)).ffill().to_numpy()
    before_nonzero = np.concatenate(([np.nan], last_nonzero[:-1]))
    ties = int((sign == 0).sum())
    return {
        "backtesting.py": (*_long_only(sign, before), ties),
        "scalpbot": (*_long_only(sign, before_nonzero), ties),
    }


def _long_only(sign: npt.NDArray[np.float64], before: npt.NDArray[np.float64]) -> tuple[int, bool]:
    last = len(sign) - 1
    ups = np.flatnonzero((before == -1) & (sign == 1)).tolist()
    downs = np.flatnonzero((before == 1) & (sign == -1)).tolist()
    events = sorted([(t, True) for t in ups] + [(t, False) for t in downs])
    long, closed = False, 0
    for t, up in events:
        if up and not long and t < last:
            long = True
        elif not up and long and t < last:
            long, closed = False, closed + 1
    return closed, long


def outcome(run: Run, json_out: Path) -> dict[str, Any]:
    """Bars, closed trades and open-trade flag a run reported."""
    if run.timed_out:
        return {}
    if run.tool == "scalpbot":
        document = json.loads(json_out.read_text(encoding="utf-8"))
        return {
            "bars": document["bars"],
            "trades": len(document["trades"]),
            "open_trade": document["open_position"] is not None,
        }
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def print_table(runs: list[Run], bars: int) -> None:
    print(f"{'tool':<16}{'run':>4}{'seconds':>11}{'bars/s':>14}{'peak MB':>11}")
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.tool] = counts.get(run.tool, 0) + 1
        late = ">=" if run.timed_out else ""
        rate = f"{bars / run.seconds:,.0f}"
        print(
            f"{run.tool:<16}{counts[run.tool]:>4}{late + f'{run.seconds:.2f}':>11}"
            f"{rate:>14}{run.peak_kib / 1024:>11.1f}"
        )


def print_summary(runs: list[Run], bars: int) -> None:
    medians: dict[str, tuple[float, float]] = {}
    for tool in ("scalpbot", "backtesting.py"):
        mine = [run for run in runs if run.tool == tool]
        seconds = statistics.median(run.seconds for run in mine)
        peak = statistics.median(run.peak_kib for run in mine) / 1024
        medians[tool] = (seconds, peak)
        print(f"median {tool:<16}{seconds:>8.2f} s{bars / seconds:>14,.0f} bars/s{peak:>9.1f} MB")
    if any(run.timed_out for run in runs if run.tool == "scalpbot"):
        print("target NOT MET: scalpbot itself ran past --timeout, so there is no ratio")
        return
    ours, theirs = medians["scalpbot"], medians["backtesting.py"]
    speedup, memory = theirs[0] / ours[0], theirs[1] / ours[1]
    # A killed peer would have taken longer and might have grown further: lower bounds.
    bound = ">=" if any(run.timed_out for run in runs) else ""
    print(f"speed:  backtesting.py / scalpbot = {bound}{speedup:.2f}x (target >= 3x)")
    print(f"memory: backtesting.py / scalpbot = {bound}{memory:.2f}x (target > 1x: less memory)")
    faster, leaner = speedup >= TARGET_SPEEDUP, ours[1] < theirs[1]
    verdict = "MET" if faster and leaner else "NOT MET"
    print(
        f"target {verdict}: {'at least' if faster else 'less than'} {TARGET_SPEEDUP:g}x faster, "
        f"{'less' if leaner else 'more'} peak memory"
    )


def print_trades(results: dict[str, dict[str, Any]], csv: Path) -> None:
    """Both tools' closed trades; if they differ, the reason, checked against the signals."""
    if not all(results.values()):
        print("trades: not compared (a run timed out)")
        return
    ours, theirs = results["scalpbot"], results["backtesting.py"]
    for tool, result in results.items():
        state = "one still open at the end" if result["open_trade"] else "none open at the end"
        print(f"closed trades {tool:<16}{result['trades']:>9,}  ({state})")
    if ours["trades"] == theirs["trades"] and ours["open_trade"] == theirs["open_trade"]:
        print("trades: same number of closed trades")
        return
    predicted = predicted_trades(csv)
    ties = predicted["scalpbot"][2]
    print(
        f"trades differ by {ours['trades'] - theirs['trades']:+,}. The averages tie on "
        f"{ties:,} bars (integer prices).\n"
        "  backtesting.py's crossover needs below-then-above on two adjacent bars, so a cross\n"
        "  through a tie is no cross to it; scalpbot's ma_cross compares with the last bar\n"
        "  where the averages differed. Checked against the signals:"
    )
    for tool, result in results.items():
        closed, still_open, _ = predicted[tool]
        agrees = closed == result["trades"] and still_open == result["open_trade"]
        print(
            f"  {tool} under its own cross rule: {closed:,} closed"
            f"{', one open' if still_open else ''} -> "
            f"{'matches its run' if agrees else 'DOES NOT match its run'}"
        )


def print_warnings(runs: list[Run]) -> None:
    """Every distinct warning backtesting.py printed, data warnings flagged first."""
    seen: dict[str, None] = {}
    for run in runs:
        if run.tool == "backtesting.py" and not run.timed_out:
            for text in json.loads(run.stdout.strip().splitlines()[-1])["warnings"]:
                seen.setdefault(text)
    for text in seen:
        about_data = any(marker in text for marker in DATA_WARNINGS)
        label = "WARNING about the data" if about_data else "note"
        print(f"backtesting.py {label}: {text[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bars", type=int, default=DEFAULT_BARS, help="series length")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool")
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds before a run is killed"
    )
    args = parser.parse_args()
    if args.repeat < 1 or args.bars < 1 or args.timeout <= 0:
        parser.error("--bars, --repeat and --timeout must be positive")
    try:
        csv = benchmark_csv(args.bars)
    except DataError as exc:
        sys.exit(f"error: {exc}")
    # Progress bars off in both tools: neither should pay for drawing one.
    env = {**os.environ, "TQDM_DISABLE": "1"}
    print(f"{args.bars:,} bars from {csv}; long-only SMA {FAST}/{SLOW}, quantity {QUANTITY}")
    print(
        f"Python {platform.python_version()}, scalpbot {version('scalpbot')}, backtesting.py "
        f"{version('backtesting')}, pandas {version('pandas')}, {os.cpu_count()} CPUs"
    )
    print(f"{args.repeat} runs each, alternating; each run a whole process\n")
    load_before = os.getloadavg()[0]
    runs: list[Run] = []
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="scalpbot-bench-") as scratch:
        workdir = Path(scratch)
        json_out = workdir / "scalpbot.json"
        for _ in range(args.repeat):
            for tool, command in commands(csv, json_out).items():
                run = measure(tool, command, args.timeout, env, workdir)
                runs.append(run)
                if run.timed_out:
                    print(f"{tool}: killed after {args.timeout:g} s (--timeout)")
                elif tool == "backtesting.py" and run.seconds > SLOW_PEER_S:
                    print(f"{tool} took {run.seconds / 60:.1f} minutes (over 10) on this machine")
                results[tool] = outcome(run, json_out)
                if results[tool] and results[tool]["bars"] != args.bars:
                    sys.exit(f"{tool} read {results[tool]['bars']:,} bars, not {args.bars:,}")
    print_table(runs, args.bars)
    before, after = load_before, os.getloadavg()[0]
    print(f"(1-minute load average {before:.2f} before, {after:.2f} after: other work skews both)")
    print()
    print_summary(runs, args.bars)
    print()
    print_trades(results, csv)
    print_warnings(runs)


if __name__ == "__main__":
    main()
