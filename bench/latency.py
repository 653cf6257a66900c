"""Latency of the live path: from a tick reaching the session to the order request leaving for
the broker, and the round trip to the broker's acknowledgement.

Two runs, each a real session in this process with a small strategy that sends a market order
on every `--every`-th tick of each instrument (buying when flat, selling when long):

- paper: a `TradingSession` on the simulated market at full speed, orders to the paper
  exchange; "leaving" is the call into the exchange;
- zerodha: a `LiveTradingSession` on the Kite sandbox, run in its own process (ticks decoded
  from its WebSocket, orders over HTTP on loopback); "leaving" is the request's bytes being
  written to the socket from the event loop (the adapter's order channel), or — for an order
  that could not leave from the loop at that moment — the adapter's `place_order` starting in
  its worker thread; the round trip ends when Kite's order id comes back.

Both include what a real order pays before it leaves: the risk checks and the journal write to
the store (SQLite) that makes an order survive a crash.

    .venv/bin/python bench/latency.py [--orders N] [--every K]

Targets: tick → order request p99 < 1 ms; round trip to the loopback sandbox p50 < 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from scalpbot.backtest.runner import default_risk
from scalpbot.brokers import create_broker
from scalpbot.data.simulated.feed import SimulatedFeed
from scalpbot.data.simulated.instruments import simulated_instruments
from scalpbot.domain import Order, Tick
from scalpbot.engine.engine import EngineSettings
from scalpbot.runtime.broker_feed import BrokerFeed
from scalpbot.runtime.broker_gateway import BrokerGateway
from scalpbot.runtime.live_session import LiveTradingSession
from scalpbot.runtime.session import SessionSpec, StrategySlot, TradingSession
from scalpbot.store import Store
from scalpbot.strategies.base import Strategy

KEYS = ("NSE:INFY", "NSE:SBIN")


class EveryNthTick(Strategy):
    """Flips between flat and long on every n-th tick: an order stream to time."""

    name = "every_nth_tick"
    every = 10

    def on_start(self) -> None:
        self._seen = 0

    def on_tick(self, tick: Tick) -> None:
        self._seen += 1
        if self._seen % self.every or self.ctx.open_orders:
            return
        if self.ctx.position.quantity > 0:
            self.ctx.sell(self.ctx.position.quantity)
        else:
            self.ctx.buy(1)


class Probe:
    """Arrival time of each instrument's latest tick, and per order its departure (and ack)."""

    def __init__(self) -> None:
        self.arrival: dict[str, int] = {}
        self.tick_to_request: list[float] = []
        self.round_trip: list[float] = []
        self.from_thread = 0  # orders sent from a worker thread, not from the event loop

    def arrived(self, key: str) -> None:
        self.arrival[key] = time.perf_counter_ns()

    def leaving(self, key: str) -> None:
        self.tick_to_request.append((time.perf_counter_ns() - self.arrival[key]) / 1e6)


def _spec(instruments: dict[str, Any], every: int, mode: str) -> SessionSpec:
    slots = []
    for key in KEYS:
        strategy = EveryNthTick()
        strategy.every = every
        slots.append(StrategySlot(strategy, instruments[key], f"probe:{key}", "probe", {}))
    return SessionSpec(
        mode=mode,
        feed_kind="simulated" if mode == "paper" else "broker",
        broker="paper" if mode == "paper" else "zerodha",
        slots=slots,
        engine_settings=EngineSettings(initial_cash=Decimal(10_000_000)),
        risk=default_risk(Decimal(10_000_000)),
        square_off=False,
        resume_key=f"latency-{mode}-{time.time_ns()}",
    )


async def paper(orders: int, every: int, store: Store) -> Probe:
    probe = Probe()
    feed = SimulatedFeed(list(KEYS), seed=3, speed=float("inf"))
    session = TradingSession(_spec(simulated_instruments(), every, "paper"), feed, store)
    on_tick = session._on_tick
    submit = session.exchange.submit

    def timed_tick(tick: Tick) -> None:
        probe.arrived(tick.instrument_key)
        on_tick(tick)

    def timed_submit(order: Order) -> None:
        probe.leaving(order.instrument.key)
        submit(order)

    session._on_tick = timed_tick  # type: ignore[method-assign]
    session.exchange.submit = timed_submit  # type: ignore[method-assign]
    session.engine.orders.gateway = session.exchange  # the manager calls the wrapped submit

    async def stop_when_done() -> None:
        while len(probe.tick_to_request) < orders:
            await asyncio.sleep(0.01)
        session.request_stop("enough orders")

    watcher = asyncio.create_task(stop_when_done())
    await session.run()
    watcher.cancel()
    return probe


async def zerodha(orders: int, every: int, store: Store, root: Path) -> Probe:
    probe = Probe()
    # The sandbox runs in its own process, as Kite would be on another machine: in a thread of
    # this one its server would compete with the session for the GIL and inflate the tail.
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "scalpbot", "sandbox", "zerodha", "--port", str(port),
         "--tick-interval", "0.01", "--redirect-url", "http://127.0.0.1:9/"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    http_url, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws"
    try:
        _wait_up(http_url)
        broker = create_broker(
            broker_name="zerodha", api_key="sandbox_key", api_secret="sandbox_secret",
            base_url=http_url, login_url=http_url, ws_url=ws_url,
            token_file=root / "token.json", instruments_cache=root / "instruments.csv",
        )  # fmt: skip
        import httpx

        login = httpx.get(f"{http_url}/connect/login?api_key=sandbox_key&v=3&auto=1")
        broker.complete_login(login.headers["location"])
        instruments = {key: broker.instrument(key) for key in KEYS}
        place, begin = broker.place_order, broker.begin_place_order
        writing: list[str] = []  # the key of the order whose request is being written
        written: list[int] = []

        def on_write(path: str) -> None:
            probe.leaving(writing[-1])
            written.append(time.perf_counter_ns())

        async def round_trip(started: int, placing: Any) -> str:
            order_id: str = await placing
            probe.round_trip.append((time.perf_counter_ns() - started) / 1e6)
            return order_id

        def timed_begin(**kwargs: Any) -> Any:
            writing.append(f"{kwargs['exchange']}:{kwargs['symbol']}")
            placing = begin(**kwargs)
            return None if placing is None else round_trip(written[-1], placing)

        def timed_place(**kwargs: Any) -> str:  # when the request could not leave from the loop
            key = f"{kwargs['exchange']}:{kwargs['symbol']}"
            probe.leaving(key)
            probe.from_thread += 1
            started = time.perf_counter_ns()
            order_id: str = place(**kwargs)
            probe.round_trip.append((time.perf_counter_ns() - started) / 1e6)
            return order_id

        broker.order_channel.on_write = on_write
        broker.begin_place_order = timed_begin  # type: ignore[method-assign]
        broker.place_order = timed_place  # type: ignore[method-assign]
        feed = BrokerFeed(list(KEYS))
        gateway = BrokerGateway(broker)
        feed.attach(broker.stream(gateway))
        session = LiveTradingSession(
            _spec(instruments, every, "live"), feed, store, broker, gateway=gateway
        )
        on_tick = session._on_tick

        def timed_tick(tick: Tick) -> None:
            probe.arrived(tick.instrument_key)
            on_tick(tick)

        session._on_tick = timed_tick  # type: ignore[method-assign]

        async def stop_when_done() -> None:
            while len(probe.round_trip) < orders:
                await asyncio.sleep(0.01)
            session.request_stop("enough orders")

        watcher = asyncio.create_task(stop_when_done())
        await session.run()
        watcher.cancel()
        broker.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return probe


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/connect/login", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"the sandbox at {url} did not come up")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _line(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p99 = _p99(values)
    return (
        f"{name:<34} n={len(values):>5}  p50 {statistics.median(values):7.3f} ms  "
        f"p99 {p99:7.3f} ms  max {ordered[-1]:7.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument(
        "--every",
        type=int,
        default=30,
        help="an order every K-th tick of an instrument (the sandbox ticks each of the two "
        "every 10 ms, so 30 stays under Kite's 10 orders a second, as a live bot must)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="latency-") as folder:
        root = Path(folder)
        store = Store.open(f"sqlite:///{root / 'bench.db'}")
        try:
            on_paper = asyncio.run(paper(args.orders, args.every, store))
            live = asyncio.run(zerodha(args.orders, args.every, store, root))
        finally:
            store.close()
    print(_line("paper: tick -> order request", on_paper.tick_to_request))
    print(_line("zerodha: tick -> order request", live.tick_to_request))
    print(_line("zerodha: round trip to order id", live.round_trip))
    print(f"zerodha: {live.from_thread} of {len(live.tick_to_request)} requests left from a "
          "worker thread (no idle connection or no free rate-limit slot at that moment)")
    p99 = _p99(live.tick_to_request)
    print(f"targets: tick -> request p99 < 1 ms: {'met' if p99 < 1 else 'MISSED'}; "
          f"round trip p50 < 5 ms: "
          f"{'met' if statistics.median(live.round_trip) < 5 else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
