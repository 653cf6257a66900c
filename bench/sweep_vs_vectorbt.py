"""`scalpbot optimize` against vectorbt: a 100-combination SMA grid on 1,000,000 bars.

Both tools sweep the same long-only SMA cross over the same bars, fast in 5..50 step 5 and slow
in 60..240 step 20 (10 x 10 = 100 combinations, fast < slow always), quantity 1, no charges:

- scalpbot: `scalpbot optimize --method grid --json OUT`, the real command, with its default
  of one worker process per core;
- vectorbt: `bench/peers/vectorbt_sma_grid.py`, its broadcast idiom (`vbt.MA.run` per side,
  crossed signals, one `Portfolio.from_signals` over all 100 columns).

Each run is a whole process timed from start to exit, runs alternate, and one untimed run of
each on a small series comes first (so numba's on-disk cache of compiled vectorbt code exists,
as it does for any vectorbt user after the first run). Peak memory is read twice: the
`os.wait4` figure (as backtest_vs_peers.py does; one process's peak, never a sum), and the
proportional set size summed over the tool's whole process tree, sampled every 0.1 s
(scalpbot's sweep is a parent, a fork server and a worker per core).

Then the results are compared: every combination's net P&L of both tools, and for a few
combinations the closed trades too, with `scalpbot backtest` run for them to show that the
optimiser reports what a backtest prints.

    .venv/bin/python bench/sweep_vs_vectorbt.py [--bars N] [--repeat N] [--timeout S]

Target: scalpbot not slower than vectorbt on this machine (vectorbt seconds / scalpbot
seconds >= 1).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from backtest_vs_peers import Run, measure  # bench/ is on sys.path: this is run as a script
from scalpbot.data import load_bars
from scalpbot.domain import DataError
from scalpbot.strategies.builtin.ma_cross import MACross
from series import DEFAULT_BARS, benchmark_csv

PEER_SCRIPT = Path(__file__).resolve().parent / "peers" / "vectorbt_sma_grid.py"
FAST = list(range(5, 51, 5))
SLOW = list(range(60, 241, 20))
QUANTITY = 1
WARM_UP_BARS = 2_000
SAMPLE_EVERY_S = 0.1
TOOLS = ("scalpbot", "vectorbt")


@dataclass(frozen=True)
class Measured:
    """A run and the peak of its process tree's summed PSS (KiB)."""

    run: Run
    tree_kib: int


def commands(csv: Path, json_out: Path) -> dict[str, list[str]]:
    scalpbot = [sys.executable, "-m", "scalpbot", "optimize", "--data", str(csv)]
    scalpbot += ["--strategy", "ma_cross", "--method", "grid"]
    scalpbot += ["--space", f"fast={FAST[0]}..{FAST[-1]}:{FAST[1] - FAST[0]}"]
    scalpbot += ["--space", f"slow={SLOW[0]}..{SLOW[-1]}:{SLOW[1] - SLOW[0]}"]
    scalpbot += ["--param", "long_only=true", "--quantity", str(QUANTITY), "--charges", "none"]
    scalpbot += ["--json", str(json_out)]
    peer = [sys.executable, str(PEER_SCRIPT), str(csv)]
    peer += ["--fast", ",".join(map(str, FAST)), "--slow", ",".join(map(str, SLOW))]
    peer += [f"--quantity={QUANTITY}"]
    return {"scalpbot": scalpbot, "vectorbt": peer}


# -- memory of a process tree ----------------------------------------------------------------


def _descendants(root: int) -> list[int]:
    """Every live descendant of `root`, from /proc/PID/task/TID/children."""
    found: list[int] = []
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as handle:
                    children = [int(word) for word in handle.read().split()]
            except OSError:
                continue
            found += children
            stack += children
    return found


def _pss_kib(pid: int) -> int:
    """Proportional set size of `pid` in KiB (shared pages split between their sharers, so a
    sum over forked workers does not count the parent's pages once per worker)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


@contextmanager
def tree_memory() -> Iterator[list[int]]:
    """Sample the summed PSS of this process's descendants until the block ends; the peak
    (KiB) is in the yielded list's only element afterwards."""
    peak = [0]
    stop = threading.Event()
    me = os.getpid()

    def sample() -> None:
        while not stop.wait(SAMPLE_EVERY_S):
            peak[0] = max(peak[0], sum(_pss_kib(pid) for pid in _descendants(me)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        stop.set()
        sampler.join()


# -- results ------------------------------------------------------------------------------------


def scalpbot_results(json_out: Path) -> dict[tuple[int, int], float]:
    document = json.loads(json_out.read_text(encoding="utf-8"))
    return {
        (r["params"]["fast"], r["params"]["slow"]): float(r["net_pnl"]) for r in document["results"]
    }


def vectorbt_results(run: Run) -> tuple[int, dict[tuple[int, int], list[Any]]]:
    """Bars, and per (fast, slow): closed trades, P&L, open at the end, entry and exit signals."""
    document = json.loads(run.stdout.strip().splitlines()[-1])
    combos = {}
    for key, values in document["combos"].items():
        fast, slow = (int(part) for part in key.split(","))
        combos[(fast, slow)] = values
    return int(document["bars"]), combos


def scalpbot_crosses(csv: Path, fast: int, slow: int) -> tuple[int, int]:
    """Up and down crosses of scalpbot's ma_cross (its own rule, from `target_positions`)."""
    close = load_bars(csv).close
    params = {"fast": fast, "slow": slow, "kind": "sma", "long_only": True}
    _, targets = MACross.target_positions({"close": close}, params, {})
    return int((targets == 1).sum()), int((targets == 0).sum())


def backtest_of(csv: Path, fast: int, slow: int, workdir: Path) -> dict[str, Any]:
    """`scalpbot backtest` of one combination (untimed): its closed trades, P&L, open flag."""
    out = workdir / f"backtest-{fast}-{slow}.json"
    command = [sys.executable, "-m", "scalpbot", "backtest", "--data", str(csv)]
    command += ["--strategy", "ma_cross", "--param", f"fast={fast}", "--param", f"slow={slow}"]
    command += ["--param", "long_only=true", "--quantity", str(QUANTITY), "--charges", "none"]
    command += ["--json", str(out)]
    measure("backtest", command, 3600, {**os.environ, "TQDM_DISABLE": "1"}, workdir)
    document = json.loads(out.read_text(encoding="utf-8"))
    return {
        "trades": len(document["trades"]),
        "net_pnl": float(document["metrics"]["net_pnl"]),
        "open": document["open_position"] is not None,
    }


# -- printing -----------------------------------------------------------------------------------


def print_table(measured: list[Measured], combos: int) -> None:
    print(f"{'tool':<10}{'run':>4}{'seconds':>10}{'combos/s':>10}{'peak MB':>10}{'tree MB':>10}")
    counts: dict[str, int] = {}
    for item in measured:
        run = item.run
        counts[run.tool] = counts.get(run.tool, 0) + 1
        late = ">=" if run.timed_out else ""
        print(
            f"{run.tool:<10}{counts[run.tool]:>4}{late + f'{run.seconds:.2f}':>10}"
            f"{combos / run.seconds:>10.2f}{run.peak_kib / 1024:>10.1f}"
            f"{item.tree_kib / 1024:>10.1f}"
        )


def print_summary(measured: list[Measured], combos: int) -> None:
    medians: dict[str, float] = {}
    for tool in TOOLS:
        mine = [item for item in measured if item.run.tool == tool]
        seconds = statistics.median(item.run.seconds for item in mine)
        peak = statistics.median(item.run.peak_kib for item in mine) / 1024
        tree = statistics.median(item.tree_kib for item in mine) / 1024
        medians[tool] = seconds
        print(
            f"median {tool:<10}{seconds:>8.2f} s{combos / seconds:>8.2f} combos/s"
            f"{peak:>9.1f} MB peak{tree:>9.1f} MB tree"
        )
    if any(item.run.timed_out for item in measured if item.run.tool == "scalpbot"):
        print("target NOT MET: scalpbot itself ran past --timeout, so there is no ratio")
        return
    ratio = medians["vectorbt"] / medians["scalpbot"]
    bound = ">=" if any(item.run.timed_out for item in measured) else ""
    print(f"speed: vectorbt / scalpbot = {bound}{ratio:.2f}x (target >= 1x: not slower)")
    verdict = "MET" if ratio >= 1 else "NOT MET"
    print(f"target {verdict}: scalpbot is {'not slower than' if ratio >= 1 else 'slower than'} "
          "vectorbt on this sweep")  # fmt: skip


def print_comparison(
    ours: dict[tuple[int, int], float],
    theirs: dict[tuple[int, int], list[Any]],
    csv: Path,
    workdir: Path,
) -> None:
    """Every combination's net P&L side by side, then trades and signals for a few, and why
    they agree (or that they do not)."""
    same = [key for key in ours if key in theirs and round(theirs[key][1], 2) == ours[key]]
    print(
        f"net P&L equal in {len(same)} of {len(ours)} combinations (closed trades; no charges, "
        "no fees)"
    )
    for key in sorted(set(ours) - set(same))[:10]:
        other = theirs[key][1] if key in theirs else float("nan")
        print(f"  differs: fast={key[0]} slow={key[1]}: scalpbot {ours[key]:.2f}, vbt {other:.2f}")
    ranked = sorted(ours, key=lambda key: ours[key])
    picks = list(dict.fromkeys([ranked[-1], ranked[0], (FAST[0], SLOW[0]), (FAST[-1], SLOW[-1])]))
    print()
    print("a few combinations, with `scalpbot backtest` run for each (untimed); sb = scalpbot:")
    head = ["fast", "slow", "trades sb", "trades vbt", "P&L optimize", "P&L backtest", "P&L vbt"]
    head += ["open sb/vbt", "crosses sb", "signals vbt"]
    print(" ".join(f"{h:>12}" for h in head))
    agree = True
    extra = [0, 0]
    for fast, slow in picks:
        single = backtest_of(csv, fast, slow, workdir)
        trades, pnl, still_open, entry_signals, exit_signals = theirs[(fast, slow)]
        up, down = scalpbot_crosses(csv, fast, slow)
        extra = [extra[0] + entry_signals - up, extra[1] + exit_signals - down]
        cells = [f"{fast}", f"{slow}", f"{single['trades']:,}", f"{trades:,}"]
        cells += [f"{v:,.2f}" for v in (ours[(fast, slow)], single["net_pnl"], pnl)]
        cells.append(f"{'yes' if single['open'] else 'no'}/{'yes' if still_open else 'no'}")
        cells += [f"{up:,}/{down:,}", f"{entry_signals:,}/{exit_signals:,}"]
        print(" ".join(f"{cell:>12}" for cell in cells))
        agree = agree and single["trades"] == trades and single["open"] == still_open
        agree = agree and ours[(fast, slow)] == single["net_pnl"] == round(pnl, 2)
    print()
    print(
        "fills: both trade a signal at the next bar's open (vectorbt's signals are shifted one\n"
        "  bar and filled at price=open). Signals: vectorbt's crossed_above fires again on\n"
        "  above-tie-above (a tie resets it), scalpbot's ma_cross compares with the last bar\n"
        "  where the averages differed and does not; mirror for crossed_below. In the rows\n"
        f"  above vectorbt raised {extra[0]:,} more entry and {extra[1]:,} more exit signals than "
        "scalpbot\n  has crosses, each while already long (entry) or flat (exit)"
        + (", so ignored." if agree else ".")
    )
    if agree and len(same) == len(ours):
        print(
            "results agree: the same trades at the same prices in every combination, and the\n"
            "  optimiser reports what `scalpbot backtest` prints."
        )
    else:
        print("results DIFFER (see above): the two runs did not make the same trades")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bars", type=int, default=DEFAULT_BARS, help="series length")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each tool")
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds before a run is killed"
    )
    args = parser.parse_args()
    if args.repeat < 1 or args.bars < 1 or args.timeout <= 0:
        parser.error("--bars, --repeat and --timeout must be positive")
    try:
        csv = benchmark_csv(args.bars)
        small = benchmark_csv(min(WARM_UP_BARS, args.bars))
    except DataError as exc:
        sys.exit(f"error: {exc}")
    combos = len(FAST) * len(SLOW)
    env = {**os.environ, "TQDM_DISABLE": "1"}
    print(
        f"{args.bars:,} bars from {csv}; {combos} combinations: long-only SMA cross, fast "
        f"{FAST[0]}..{FAST[-1]} step {FAST[1] - FAST[0]} x slow {SLOW[0]}..{SLOW[-1]} step "
        f"{SLOW[1] - SLOW[0]}, quantity {QUANTITY}, no charges"
    )
    print(
        f"Python {platform.python_version()}, scalpbot {version('scalpbot')}, vectorbt "
        f"{version('vectorbt')}, numba {version('numba')}, numpy {version('numpy')}, "
        f"pandas {version('pandas')}, {os.cpu_count()} CPUs"
    )
    print(f"{args.repeat} timed runs each, alternating, after one untimed warm-up run each\n")
    measured: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="scalpbot-sweep-bench-") as scratch:
        workdir = Path(scratch)
        json_out = workdir / "scalpbot.json"
        for tool, command in commands(small, json_out).items():
            measure(f"warm-up-{tool}", command, args.timeout, env, workdir)
        load_before = os.getloadavg()[0]
        last: dict[str, Run] = {}
        for _ in range(args.repeat):
            for tool, command in commands(csv, json_out).items():
                with tree_memory() as tree:
                    run = measure(tool, command, args.timeout, env, workdir)
                measured.append(Measured(run, tree[0]))
                if run.timed_out:
                    print(f"{tool}: killed after {args.timeout:g} s (--timeout)")
                else:
                    last[tool] = run
        load_after = os.getloadavg()[0]
        print_table(measured, combos)
        print(
            f"(1-minute load average {load_before:.2f} before, {load_after:.2f} after: other "
            "work skews both)"
        )
        where = [line for line in last["scalpbot"].stdout.splitlines() if " trials (" in line]
        if where:
            print(f"scalpbot: {where[0]}")
        print()
        print_summary(measured, combos)
        print()
        if set(last) != set(TOOLS):
            print("results: not compared (a run timed out)")
            return
        bars, theirs = vectorbt_results(last["vectorbt"])
        if bars != args.bars:
            sys.exit(f"vectorbt read {bars:,} bars, not {args.bars:,}")
        print_comparison(scalpbot_results(json_out), theirs, csv, workdir)


if __name__ == "__main__":
    main()
