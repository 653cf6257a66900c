"""Crash trials: kill live and paper sessions with SIGKILL at random moments, restart them, and
check that nothing was lost, nothing was sent twice, and the books agree with the broker.

Trials alternate between a live session on the Kite sandbox and a paper session replaying a bar
file (see bench/crash_paper.py for what a paper trial checks). Each live trial runs
`scalpbot run --mode live --broker zerodha` against the Kite sandbox (one-minute bars every
second, `ma_cross 2/3` on two instruments, so orders flow constantly), kills it at a random
moment, restarts it with `--resume` (which reconciles with the sandbox's order book
before trading), lets it trade a little, stops it with SIGINT, and checks:

- sent_twice: no tag appears on more than one order at the broker;
- lost: every order at the broker is in the store, and every stored order that is not closed
  as never sent is at the broker;
- positions: the store's net quantity per instrument, summed from its fills, equals the
  broker's positions;
- fills: the store holds exactly the broker's trades (by id), so P&L from the store's fills is
  the broker's P&L;
- restart: the restarted session ran (reconciled) and exited cleanly.

A quarter of the live kills are aimed at the window between the broker accepting an order and
scalpbot recording that (the sandbox is told to hold the reply to the next order, and the kill
lands while it is held); a quarter at the window between storing an order and sending it (the
session is started with the `after_journal` failpoint, which SIGKILLs it right after the n-th
order is journaled as an intent); a quarter just after an order was sent while the store knows
it only from its intent file (the `after_send` failpoint); the rest land at random.

    .venv/bin/python bench/crash_trials.py [--trials N] [--seed S] [--kinds live,paper]

Target: 200 trials, 0 failures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from crash_paper import PaperTrials
from scalpbot.sandbox.zerodha.server import SandboxServer
from scalpbot.sandbox.zerodha.state import SandboxConfig

SCALPBOT = str(Path(sys.executable).with_name("scalpbot"))
#: Where a live trial's kill is aimed (see the module docstring).
AIMS = ("random", "accepted_not_recorded", "stored_not_sent", "sent_not_in_database")
#: The failpoint of each aimed kill the session makes itself.
FAILPOINTS = {"stored_not_sent": "after_journal", "sent_not_in_database": "after_send"}
API_KEY, API_SECRET = "sandbox_key", "sandbox_secret"


def _wait(predicate: Callable[[], Any], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class Trials:
    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.server = SandboxServer(
            SandboxConfig(tick_interval=0.05, time_scale=60, redirect_url="http://127.0.0.1:9/cb")
        )
        self.server.start_in_thread()
        self.http = httpx.Client(base_url=self.server.http_url, timeout=10)
        self.aims: Counter[str] = Counter()

    def close(self) -> None:
        self.http.close()
        self.server.stop()

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        reply = (
            self.http.post(f"/sandbox/{path}", json=body)
            if body
            else self.http.get(f"/sandbox/{path}")
        )
        reply.raise_for_status()
        return reply.json()["data"]

    def home(self, number: int) -> Path:
        home = self.root / f"trial-{number}"
        subprocess.run([SCALPBOT, "init", "--home", str(home)], check=True, capture_output=True)
        url = self.server.http_url
        (home / "config.yaml").write_text(
            "broker:\n  name: zerodha\n"
            f"  api_key: {API_KEY}\n  base_url: {url}\n  login_url: {url}\n"
            f"  ws_url: {self.server.ws_url}\n"
            "trading:\n  mode: live\n  symbols: [NSE:INFY, NSE:SBIN]\n  timeframe: 1m\n"
            "  market_hours: always\n  strategies:\n    - name: ma_cross\n"
            "      params: {fast: 2, slow: 3, long_only: false}\n",
            encoding="utf-8",
        )
        with (home / "secrets.env").open("a", encoding="utf-8") as secrets:
            secrets.write(f"SCALPBOT__BROKER__API_SECRET={API_SECRET}\n")
        login = self.http.get("/connect/login", params={"api_key": API_KEY, "v": 3, "auto": 1})
        subprocess.run(
            [SCALPBOT, "login", "zerodha", "--home", str(home), "--url",
             login.headers["location"]],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        return home

    def _run(self, home: Path, *extra: str, failpoint: str | None = None) -> subprocess.Popen[str]:
        env = dict(os.environ)
        if failpoint:
            env["SCALPBOT_FAILPOINT"] = failpoint
        return subprocess.Popen(
            [SCALPBOT, "run", "--home", str(home), "--mode", "live", "--broker", "zerodha",
             "--quiet", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip

    def trial(self, number: int) -> list[str]:
        """One kill and restart; returns the kinds of failure found (empty: passed)."""
        self.control("reset", {"all": True})
        home = self.home(number)
        aim = self.rng.choice(AIMS)
        self.aims[aim] += 1
        orders_before = self.rng.randint(1, 8)
        if aim in FAILPOINTS:  # the session kills itself the n-th time it passes the point
            first = self._run(home, failpoint=f"{FAILPOINTS[aim]}:{orders_before}")
            with contextlib.suppress(subprocess.TimeoutExpired):
                first.wait(timeout=60)
        else:
            first = self._run(home)
            _wait(lambda: len(self.control("orders")["orders"]) >= orders_before, 30)
        if aim == "accepted_not_recorded":  # kill while the broker holds its answer
            self.control("fault", {"kind": "stall_order", "seconds": 5})
            count = len(self.control("orders")["orders"])
            _wait(lambda: len(self.control("orders")["orders"]) > count, 15)
        elif aim == "random":
            time.sleep(self.rng.uniform(0.0, 1.5))
        if first.poll() is None:
            first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        self.control("fault", {"kind": "stall_order", "count": 0})
        second = self._run(home, "--resume")
        failures: list[str] = []
        reconciled = _wait(lambda: _db(home, "select count(*) from events "
                                              "where kind='reconciled'")[0][0], 30)  # fmt: skip
        time.sleep(self.rng.uniform(0.5, 2.0))
        second.send_signal(signal.SIGINT)
        try:
            _, err = second.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            err = "did not stop"
        if not reconciled or second.returncode != 0:
            failures.append("restart")
            print(f"  trial {number}: restart failed: {err.strip()[-300:]}", file=sys.stderr)
        failures += check(home, self.control("orders"), self.server.state.book.trades)
        return failures


def _db(home: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "scalpbot.db") as db:
        return db.execute(query).fetchall()


def check(home: Path, book: dict[str, Any], trades: list[dict[str, Any]]) -> list[str]:
    failures: list[str] = []
    if any(count > 1 for count in book["by_tag"].values()):
        failures.append("sent_twice")
    stored = dict(_db(home, "select client_order_id, status from orders"))
    at_broker = set(book["by_tag"])
    never_sent = {cid for cid, status in stored.items() if status == "REJECTED"}
    if at_broker - set(stored) or (set(stored) - never_sent) - at_broker:
        failures.append("lost")
    net: Counter[str] = Counter()
    for exchange, symbol, side, quantity in _db(
        home, "select exchange, symbol, side, quantity from fills"
    ):
        net[f"{exchange}:{symbol}"] += quantity if side == "BUY" else -quantity
    theirs = {f"{p['exchange']}:{p['tradingsymbol']}": p["quantity"] for p in book["positions"]}
    if {k: v for k, v in net.items() if v} != {k: v for k, v in theirs.items() if v}:
        failures.append("positions")
    fill_ids = {fid for (fid,) in _db(home, "select fill_id from fills")}
    if fill_ids != {f"kite:{t['trade_id']}" for t in trades}:
        failures.append("fills")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--kinds", default="live,paper", help="live, paper or both (alternating)")
    args = parser.parse_args()
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    if not kinds or set(kinds) - {"live", "paper"}:
        parser.error(f"--kinds {args.kinds!r}: give live, paper or live,paper")
    rng = random.Random(args.seed)
    failures: Counter[str] = Counter()
    failed_trials = 0
    ran: Counter[str] = Counter()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crash-trials-") as root:
        live = Trials(Path(root), rng) if "live" in kinds else None
        paper = PaperTrials(Path(root), rng) if "paper" in kinds else None
        try:
            for number in range(1, args.trials + 1):
                kind = kinds[(number - 1) % len(kinds)]
                runner: Any = live if kind == "live" else paper
                found = runner.trial(number)
                ran[kind] += 1
                failures.update(found)
                failed_trials += bool(found)
                if found or number % 10 == 0:
                    print(f"trial {number} ({kind}): {', '.join(found) or 'ok'}", flush=True)
        finally:
            if live is not None:
                live.close()
    elapsed = time.monotonic() - started
    mix = ", ".join(f"{ran[kind]} {kind}" for kind in kinds)
    print(
        f"seed {args.seed}: {args.trials} trials ({mix}) in {elapsed:.0f} s, {failed_trials} failed"
    )
    if live is not None:
        print("live kills aimed at: " + ", ".join(f"{aim} {live.aims[aim]}" for aim in AIMS))
    print("failures by kind:")
    for kind in ("sent_twice", "lost", "positions", "fills", "restart"):
        print(f"  {kind:<10} {failures[kind]}")
    raise SystemExit(1 if failed_trials else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
