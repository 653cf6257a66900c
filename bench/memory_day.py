"""Memory of a paper session over a simulated trading day: does it stay flat?

Runs the real runtime the way `scalpbot run --feed simulated --speed max` does (a
`TradingSession` on the seeded simulated market, the paper exchange, the engine with its risk
checks and MIS square-off, the alerts wiring and feed watchdog, every order and fill journaled
to a real SQLite file in a temporary folder), on `--instruments` instruments with the built-in
`ma_cross` (EMA 9/21 on one-minute bars, long and short) on each, for one NSE session
09:15-15:30 IST of simulated time, as fast as the machine goes.

The six instruments of the simulated market's table come first, then generated stand-in
equities NSE:SIM0001, ... (`scalpbot.data.simulated.synthetic_keys`). The process's resident
set size (RSS) is sampled every `--sample-minutes` of simulated time; the growth per simulated
hour is the least-squares slope over the samples from one hour after the open on, so start-up
allocation (the day's price paths, the first orders, SQLite's page cache) is left out. The
verdict is "flat" when that growth is under 1 % of the peak RSS per hour (or under 2 MiB/h),
else "GROWING". Beside RSS the table counts the session's collections that grow with orders
and bars, and the size of the paper-book checkpoint, to say what grew.

    .venv/bin/python bench/memory_day.py                       # 500 instruments, a full day
    .venv/bin/python bench/memory_day.py --instruments 50 --hours 2 --tick-ms 1000
    .venv/bin/python bench/memory_day.py --trace --hours 3     # where the memory went

Event rate. The simulator ticks every instrument once per step. At its 1 s default a day of
500 instruments is 11.25 million ticks (well over ten minutes here, and ~640 MB of numpy price
paths), and 5 s steps still take ~7 minutes on this 2-core machine, so the default step is
15 s: 750,000 ticks, four to each one-minute bar. Orders come from bar closes, so the order
flow, and the measured growth, hardly depend on the step (8.4 MiB/h at 5 s, 15 s and 60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from scalpbot.config import (
    AlertsSettings,
    RiskConfig,
    Settings,
    StrategyConfig,
    TradingSettings,
)
from scalpbot.data.simulated import SimulatedFeed, find_sim_spec, sim_specs, synthetic_keys
from scalpbot.domain import IST, Instrument, Tick
from scalpbot.domain.market_data import datetime_to_ns
from scalpbot.runtime.alerts_wiring import session_alerts
from scalpbot.runtime.factory import (
    RunOptions,
    engine_settings_for,
    make_resume_key,
    strategy_slots,
)
from scalpbot.runtime.live_factory import SessionParts, open_session
from scalpbot.runtime.session import (
    CHECKPOINT_EVERY,
    SessionSpec,
    TradingSession,
    install_signal_handlers,
)
from scalpbot.runtime.sim_rules import simulated_session_rules
from scalpbot.store import Store

MIB = 1024 * 1024
NS_PER_MINUTE = 60 * 1_000_000_000
NS_PER_HOUR = 60 * NS_PER_MINUTE
FULL_DAY_HOURS = 6.25  # 09:15-15:30
DEFAULT_TICK_MS = 15_000
STRATEGY = "ma_cross"
PARAMS: dict[str, Any] = {"fast": 9, "slow": 21, "kind": "ema", "long_only": False}
FLAT_FRACTION = 0.01  # of peak RSS, per hour
FLAT_FLOOR_MIB = 2.0  # per hour

try:
    import psutil

    _PROCESS: Any = psutil.Process()
    RSS_SOURCE = "psutil"
except ImportError:  # pragma: no cover - psutil is in the dev extras
    _PROCESS = None
    RSS_SOURCE = "/proc/self/status VmRSS"


def rss_bytes() -> int:
    """The process's resident set size now."""
    if _PROCESS is not None:
        return int(_PROCESS.memory_info().rss)
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def peak_rss_bytes() -> int:
    """The process's high-water RSS (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass(slots=True)
class Sample:
    ts: int  # simulated time, epoch ns
    wall: float  # seconds since trading started
    events: int
    rss: int
    py_heap: int | None  # bytes traced by tracemalloc (with --trace)
    counts: dict[str, int]


class DayFeed:
    """The simulated feed cut at the end of the simulated span, sampling memory on its way.

    It hands the session exactly `steps` steps of every instrument, then ends (as a replay
    does, so the session completes normally). It calls `sample(ts, False)` at the first tick
    at or after each sampling mark, before the session sees that tick, and
    `sample(end, True)` once the session has processed the last one.
    """

    def __init__(
        self,
        inner: SimulatedFeed,
        steps: int,
        every_ns: int,
        sample: Callable[[int, bool], None],
    ) -> None:
        self.inner = inner
        self.instruments = inner.instruments
        self.speed = inner.speed  # the feed watchdog reads these two
        self.step_ns = inner.step_ns
        self.total = steps * len(inner.instruments)
        self.every_ns = every_ns
        self.sample = sample
        self.delivered = 0

    async def events(self) -> AsyncIterator[Tick]:
        if self.total <= 0:
            return
        mark = self.inner.now_ns
        last_ts = mark
        async for tick in self.inner.events():
            if tick.ts >= mark:
                self.sample(tick.ts, False)
                mark += self.every_ns
            yield tick
            last_ts = tick.ts
            self.delivered += 1
            if self.delivered >= self.total:
                break
        self.sample(last_ts + self.step_ns, True)  # the end of the last step

    async def close(self) -> None:
        await self.inner.close()


class Probe:
    """Samples RSS and the sizes of the session's growing collections."""

    def __init__(self, trace: bool) -> None:
        self.session: TradingSession | None = None
        self.samples: list[Sample] = []
        self.wall0: float | None = None
        self.trace = trace
        self.trace_after_ns = 0
        self.snapshots: list[tuple[int, tracemalloc.Snapshot]] = []  # after 1 h, at the end

    def __call__(self, ts: int, final: bool) -> None:
        session = self.session
        assert session is not None
        now = time.perf_counter()
        if self.wall0 is None:
            self.wall0 = now
        heap = tracemalloc.get_traced_memory()[0] if self.trace else None
        self.samples.append(
            Sample(
                ts, now - self.wall0, session.events_processed, rss_bytes(), heap, counts(session)
            )
        )
        if self.trace and (final or (not self.snapshots and ts >= self.trace_after_ns)):
            self.snapshots.append((ts, tracemalloc.take_snapshot()))


def counts(session: TradingSession) -> dict[str, int]:
    """Sizes of what a session keeps for its whole life and grows with orders and bars."""
    engine = session.engine
    checkpoint = json.dumps(session._book_state(), separators=(",", ":"))
    return {
        "orders": len(engine.orders.orders),  # OrderManager.orders: every order, final or not
        "trades": len(engine.portfolio.trades),
        "paper finished": len(session.exchange._finished),  # PaperExchange._finished
        "equity points": len(session.recorder),  # EquityRecorder: one per bar per instrument
        "ckpt KiB": len(checkpoint) // 1024,  # the paper book JSON written every checkpoint
    }


def instrument_keys(count: int) -> list[str]:
    table = list(sim_specs())
    if count <= len(table):
        return table[:count]
    return table + synthetic_keys(count - len(table))


def build_session(
    keys: list[str],
    *,
    seed: int,
    day: date,
    tick_ms: int,
    hours: float,
    every_ns: int,
    store: Store,
    probe: Probe,
    rate_cap: int,
) -> tuple[TradingSession, DayFeed]:
    """What `scalpbot run --feed simulated` builds (`factory.build_spec`), on the instruments
    asked for: that factory offers only the six instruments of the table."""
    instruments: dict[str, Instrument] = {}
    for key in keys:
        found = find_sim_spec(key)
        assert found is not None
        instruments[key] = found.instrument
    settings = Settings(
        trading=TradingSettings(
            symbols=keys, strategies=[StrategyConfig(name=STRATEGY, params=PARAMS)]
        ),
        risk=RiskConfig(max_orders_per_second=rate_cap),
    )
    options = RunOptions(strategy=STRATEGY, params=dict(PARAMS), speed=None, seed=seed)
    inner = SimulatedFeed(
        keys,
        seed=seed,
        start=datetime.combine(day, dtime(9, 15)),
        speed=float("inf"),
        tick_interval_ms=tick_ms,
    )
    source = f"simulated:seed={seed}:start={inner.start}:step={tick_ms}ms:n={len(keys)}"
    spec = SessionSpec(
        mode="paper",
        feed_kind="simulated",
        broker="paper",
        slots=strategy_slots(settings, options, instruments),
        engine_settings=engine_settings_for(settings),
        risk=settings.risk.to_risk_settings(settings.trading.capital),
        charges=options.charges,
        timeframe_minutes=1,
        square_off=True,
        cancel_orders_on_stop=settings.trading.cancel_orders_on_stop,
        resume_key=make_resume_key({"bench": "memory_day", "source": source}),
        data_source=source,
        config_snapshot={"trading": settings.trading.model_dump(mode="json")},
        session_rules=simulated_session_rules(),
    )
    close_ns = datetime_to_ns(datetime.combine(inner.day, dtime(15, 30), IST))
    steps = min(
        math.ceil(hours * NS_PER_HOUR / inner.step_ns),
        math.ceil((close_ns - inner.start_ns) / inner.step_ns),
    )
    feed = DayFeed(inner, steps, every_ns, probe)
    return open_session(SessionParts(spec, feed), store), feed


async def run_session(session: TradingSession) -> dict[str, Any]:
    """What `scalpbot run` does with a built session (cli/run.py `_run`)."""
    remove = install_signal_handlers(session)
    try:
        async with session_alerts(session, AlertsSettings()):
            return await session.run()
    finally:
        remove()


def stored_counts(store: Store, session_id: int) -> dict[str, int]:
    """Rows the session wrote: orders, status changes, fills and events by kind."""
    found: dict[str, int] = {}
    with store.session() as db:
        for name, query in (
            ("orders", "SELECT count(*) FROM orders WHERE session_id = :s"),
            (
                "status changes",
                "SELECT count(*) FROM order_status_history h JOIN orders o "
                "ON h.order_id = o.id WHERE o.session_id = :s",
            ),
            ("fills", "SELECT count(*) FROM fills WHERE session_id = :s"),
        ):
            found[name] = int(db.execute(text(query), {"s": session_id}).scalar_one())
        rows = db.execute(
            text("SELECT kind, count(*) FROM events WHERE session_id = :s GROUP BY kind"),
            {"s": session_id},
        )
        for kind, number in rows:
            found[f"event {kind}"] = int(number)
    return found


def slope_per_hour(samples: list[Sample], origin: int, heap: bool = False) -> float:
    """Least-squares slope of RSS (or the traced Python heap) in MiB against simulated hours
    since `origin`."""
    xs = [(s.ts - origin) / NS_PER_HOUR for s in samples]
    ys = [((s.py_heap or 0) if heap else s.rss) / MIB for s in samples]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx


def hhmm(ts: int) -> str:
    return datetime.fromtimestamp(ts / 1e9, IST).strftime("%H:%M")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instruments", type=int, default=500, help="default 500")
    parser.add_argument(
        "--hours",
        type=float,
        default=FULL_DAY_HOURS,
        help=f"simulated hours from 09:15 (default {FULL_DAY_HOURS:g}: the session to 15:30)",
    )
    parser.add_argument("--seed", type=int, default=7, help="simulated market seed (default 7)")
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=date(2025, 6, 2),
        help="the NSE trading day to simulate (default 2025-06-02)",
    )
    parser.add_argument(
        "--tick-ms",
        type=int,
        default=DEFAULT_TICK_MS,
        help=f"simulated ms between two ticks of an instrument, 10 to 60000 (default "
        f"{DEFAULT_TICK_MS}; the simulator's own default is 1000)",
    )
    parser.add_argument(
        "--sample-minutes", type=int, default=15, help="simulated minutes between samples"
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="run under tracemalloc (several times slower) and print which lines' memory "
        "grew after the first hour",
    )
    args = parser.parse_args()
    if not 1 <= args.instruments <= len(sim_specs()) + 9999:
        parser.error(f"--instruments: 1 to {len(sim_specs()) + 9999}")
    if not 0 < args.hours <= FULL_DAY_HOURS:
        parser.error(f"--hours: more than 0, at most {FULL_DAY_HOURS:g} (one session)")
    if not 10 <= args.tick_ms <= 60_000:
        parser.error("--tick-ms: 10 to 60000")
    if args.sample_minutes < 1:
        parser.error("--sample-minutes: at least 1")
    return args


def main() -> int:
    args = parse_args()
    keys = instrument_keys(args.instruments)
    rate_cap = max(10, 2 * len(keys))
    probe = Probe(args.trace)
    if args.trace:
        tracemalloc.start(1)
    rss_before = rss_bytes()
    with tempfile.TemporaryDirectory(prefix="scalpbot-memday-") as tmp:
        db = Path(tmp) / "scalpbot.db"
        store = Store.open(f"sqlite:///{db}")
        try:
            built = time.perf_counter()
            session, feed = build_session(
                keys,
                seed=args.seed,
                day=args.date,
                tick_ms=args.tick_ms,
                hours=args.hours,
                every_ns=args.sample_minutes * NS_PER_MINUTE,
                store=store,
                probe=probe,
                rate_cap=rate_cap,
            )
            probe.session = session
            probe.trace_after_ns = feed.inner.start_ns + NS_PER_HOUR
            build_s = time.perf_counter() - built
            started = time.perf_counter()
            report = asyncio.run(run_session(session))
            wall = time.perf_counter() - started
            stored = stored_counts(store, session.session_id)
        finally:
            store.close()
        db_mib = sum(p.stat().st_size for p in Path(tmp).iterdir()) / MIB

    samples = probe.samples
    peak = max(peak_rss_bytes(), *(s.rss for s in samples))
    first, last = samples[0], samples[-1]
    open_ns = feed.inner.start_ns
    settled = [s for s in samples if s.ts >= open_ns + NS_PER_HOUR]
    fit_note = "samples from 10:15 on"
    if len(settled) < 3:
        settled = samples[1:] if len(samples) > 3 else samples
        fit_note = "samples (too short to leave out the first hour: all but the first)"
    # Under tracemalloc RSS carries the snapshots and the tracing itself: fit the heap then.
    growth = slope_per_hour(settled, open_ns, heap=args.trace)
    measured = "traced Python heap" if args.trace else "RSS"
    limit = max(FLAT_FRACTION * peak / MIB, FLAT_FLOOR_MIB)
    verdict = "flat" if growth < limit else "GROWING"
    events = session.events_processed

    print(
        f"memory of a paper session: {len(keys)} instruments, {STRATEGY} EMA 9/21 on 1-minute "
        f"bars on each, simulated {args.date} {hhmm(open_ns)}-{hhmm(last.ts)} IST, "
        f"seed {args.seed}, max speed, SQLite store"
    )
    coarse = args.tick_ms > 1000
    print(
        f"event rate: one tick per instrument every {args.tick_ms / 1000:g} s of simulated "
        f"time ({60_000 / args.tick_ms:g} per 1-minute bar)"
        + ("; coarser than the simulator's 1 s so a day of 500 fits in minutes" if coarse else "")
    )
    print(
        f"order-rate cap raised to {rate_cap}/s (default 10/s) so crosses on the same bar are "
        f"sent, not refused; paper-book checkpoint every {CHECKPOINT_EVERY} events; "
        f"RSS from {RSS_SOURCE}; python {sys.version.split()[0]}, pid {os.getpid()}"
    )
    print()
    names = list(first.counts)
    widths = [max(len(n), 7) for n in names]
    heap_head = f" {'py heap':>8}" if args.trace else ""
    print(
        f"{'sim':>5} {'wall s':>7} {'ticks/s':>8} {'ticks':>10} {'RSS MiB':>8}{heap_head}  "
        + "  ".join(f"{n:>{w}}" for n, w in zip(names, widths, strict=True))
    )
    previous = first
    for s in samples:
        span = s.wall - previous.wall
        rate = f"{(s.events - previous.events) / span:8.0f}" if span > 0 else f"{'':8}"
        heap = f" {s.py_heap / MIB:8.1f}" if s.py_heap is not None else ""
        cols = "  ".join(f"{s.counts[n]:>{w}}" for n, w in zip(names, widths, strict=True))
        print(
            f"{hhmm(s.ts):>5} {s.wall:7.1f} {rate} {s.events:10d} {s.rss / MIB:8.1f}{heap}  {cols}"
        )
        previous = s
    print()
    hours = max((settled[-1].ts - settled[0].ts) / NS_PER_HOUR, 1e-9)
    per_hour = {n: (settled[-1].counts[n] - settled[0].counts[n]) / hours for n in names}
    events_stored = ", ".join(f"{k[6:]} {v:,}" for k, v in stored.items() if k.startswith("event"))
    print(f"instruments:            {len(keys)}")
    print(f"ticks processed:        {events:,} ({session.bars_processed:,} bars)")
    print(
        f"wall seconds:           {wall:.1f} trading ({events / wall:,.0f} ticks/s), "
        f"{build_s:.1f} building the session"
    )
    print(
        f"orders:                 {len(report['orders']):,} ({stored['orders']:,} stored with "
        f"{stored['status changes']:,} status changes; {len(report['trades']):,} round trips, "
        f"net P&L {report['metrics']['net_pnl']:,.2f})"
    )
    print(f"fills:                  {stored['fills']:,} stored")
    print(f"events stored:          {events_stored or 'none'}; SQLite files {db_mib:.1f} MiB")
    print(f"RSS before the session: {rss_before / MIB:.1f} MiB (interpreter and imports)")
    print(f"peak RSS:               {peak / MIB:.1f} MiB")
    print(f"RSS start of trading:   {first.rss / MIB:.1f} MiB ({hhmm(first.ts)})")
    print(
        f"RSS end of trading:     {last.rss / MIB:.1f} MiB ({hhmm(last.ts)}), "
        f"{(last.rss - first.rss) / MIB:+.1f} MiB"
    )
    print(
        f"growth per sim hour:    {growth:+.2f} MiB/h of {measured} (least squares over "
        f"{len(settled)} {fit_note})"
    )
    print(
        "grew per sim hour:      " + ", ".join(f"{n} {v:+,.0f}" for n, v in per_hour.items() if v)
    )
    print(
        f"verdict: {verdict} (growth {growth:+.2f} MiB/h, limit {limit:.2f} MiB/h = "
        f"max(1% of peak RSS, {FLAT_FLOOR_MIB:g} MiB) per hour)"
    )
    if len(probe.snapshots) == 2:
        (since_ts, since), (until_ts, until) = probe.snapshots
        print()
        print(f"tracemalloc: where Python memory grew from {hhmm(since_ts)} to {hhmm(until_ts)}")
        for stat in until.compare_to(since, "lineno")[:15]:
            frame = stat.traceback[0]
            where = frame.filename.split("/src/")[-1].split("/lib/python")[-1]
            print(
                f"  {stat.size_diff / 1024:+9.0f} KiB {stat.count_diff:+9d} blocks  "
                f"{where}:{frame.lineno}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
