"""The order journal's writes, one at a time, on a SQLite store in a temporary folder.

Three figures per run (p50, p99 of N writes each):

- intent: `store.orders.journal_new` of a new order, the record made before its request leaves
  (one line appended to the store's intent file);
- insert: `store.orders.save` of a new order, the database write that follows once it has left
  (statements compiled once, on a driver connection: `store/prepared.py`);
- update: `store.orders.save` of an order whose status changed.

    .venv/bin/python bench/journal_write.py [--orders N]

This is the hot figure (one write after another); inside a live session that sleeps between
ticks the same writes cost several times as much (see `latency.py` and bench/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from scalpbot.domain import Exchange, Instrument, Order, OrderStatus, OrderType, Side
from scalpbot.store import Store, sqlite_url

INSTRUMENT = Instrument(Exchange.NSE, "INFY", tick_size=Decimal("0.05"), name="Infosys")


def _order(cid: str) -> Order:
    return Order(
        client_order_id=cid,
        instrument=INSTRUMENT,
        side=Side.BUY,
        quantity=10,
        order_type=OrderType.LIMIT,
        price=Decimal("1520.35"),
        strategy_id="bench",
        created_ts=1_700_000_000_000_000_000,
    )


def _timed(write: list[Order], action: object) -> list[float]:
    took = []
    for order in write:
        started = time.perf_counter_ns()
        action(order)  # type: ignore[operator]
        took.append((time.perf_counter_ns() - started) / 1e6)
    return took


def _line(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    median = statistics.median(values)
    return f"{name:<8} n={len(values):>6}  p50 {median:6.3f} ms  p99 {p99:6.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="journal-") as folder:
        store = Store.open(sqlite_url(Path(folder) / "scalpbot.db"))
        try:
            session = store.sessions.create("paper", "paper", [], {}, None, None)
            orders = [_order(f"J{n:07d}") for n in range(args.orders)]
            intent = _timed(orders, lambda o: store.orders.journal_new(o, session))
            insert = _timed(orders, lambda o: store.orders.save(o, session))
            for n, order in enumerate(orders):
                order.transition(OrderStatus.OPEN, order.created_ts + n + 1)
            update = _timed(orders, lambda o: store.orders.save(o, session))
        finally:
            store.close()
    print(_line("intent", intent))
    print(_line("insert", insert))
    print(_line("update", update))


if __name__ == "__main__":
    main()
