"""`GatewayPlumbing`: what every request to a broker and every piece of its news goes through
in `BrokerGateway` — the worker threads, the tasks that follow answers, one lock per order, and
the way an outcome reaches the engine.

Adapters are synchronous (`Broker`), and the engine must never wait on a broker, so each call
runs in a worker thread and the coroutine awaiting it runs on the event loop (a new order an
adapter can write from the loop itself skips the thread: `BrokerGateway.submit`). Order requests
(place, modify, cancel) have threads of their own (`_send`), apart from the look-ups (`_call`)
that follow every answer and fill: a look-up waiting out the broker's read rate limit must not
hold back the next order.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from scalpbot.domain import (
    Broker,
    ExecutionListener,
    LoopOrderEntry,
    Order,
    OrderStatus,
    OrderUpdate,
)

log = logging.getLogger(__name__)

T = TypeVar("T")


class GatewayPlumbing:
    """Threads, tasks, per-order locks and the engine's listener (see the module docstring)."""

    def __init__(
        self, broker: Broker, clock_ns: Callable[[], int], *, workers: int, senders: int
    ) -> None:
        self.broker = broker
        self.clock_ns = clock_ns
        self._listener: ExecutionListener | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="broker")
        self._send_pool = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="broker-send")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._orders: dict[str, Order] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._seen_fills: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.errors: list[str] = []
        self._loop_entry = broker if isinstance(broker, LoopOrderEntry) else None

    def warm(self) -> None:
        """Get the adapter's event-loop order entry ready (connections opened in the
        background) so the session's first order already leaves from the loop."""
        if self._loop_entry is not None:
            self._loop_entry.warm_order_entry()

    def _place(self, order: Order) -> Awaitable[str]:
        """Send a new order now — written from the event loop when the adapter can do that at
        this moment, else handed to a sending thread at once — and return its awaited id."""
        inst = order.instrument
        fields: dict[str, Any] = {
            "symbol": inst.symbol,
            "exchange": inst.exchange.value,
            "transaction_type": order.side.value,
            "quantity": order.quantity,
            "order_type": order.order_type.value,
            "product": order.product.value,
            "price": order.price,
            "trigger_price": order.trigger_price,
            "validity": order.validity.value,
            "tag": order.client_order_id,
        }
        loop = asyncio.get_running_loop()
        if self._loop_entry is not None:
            try:
                placing = self._loop_entry.begin_place_order(**fields)
            except Exception as exc:  # a refusal: the awaited outcome, handled like any other
                failed: asyncio.Future[str] = loop.create_future()
                failed.set_exception(exc)
                return failed
            if placing is not None:
                return placing
        place = functools.partial(self.broker.place_order, **fields)
        return loop.run_in_executor(self._send_pool, place)

    # -- wiring ------------------------------------------------------------------------------
    def set_listener(self, listener: ExecutionListener) -> None:
        self._listener = listener

    def adopt(self, order: Order) -> None:
        """Track an order placed before a restart, so the broker's news about it is applied."""
        self._orders[order.client_order_id] = order

    def seen_fill(self, fill_id: str) -> None:
        """A fill already applied (stored before a restart): never apply it again."""
        self._seen_fills.add(fill_id)

    @property
    def listener(self) -> ExecutionListener:
        if self._listener is None:
            raise RuntimeError("BrokerGateway has no listener: create the Engine with it first")
        return self._listener

    def _spawn(self, work: Awaitable[Any]) -> None:
        loop = self._loop or asyncio.get_running_loop()
        self._loop = loop
        task: asyncio.Task[Any] = loop.create_task(work)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            message = f"broker gateway task failed: {task.exception()}"
            log.error(message)
            self.errors.append(message)

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))

    async def _send(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._send_pool, lambda: fn(*args, **kwargs))

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for requests in flight (a stopping session lets its cancels reach the broker)."""
        deadline = time.monotonic() + timeout
        while self._tasks and time.monotonic() < deadline:
            await asyncio.wait(set(self._tasks), timeout=deadline - time.monotonic())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._send_pool.shutdown(wait=False, cancel_futures=True)

    def _lock(self, client_order_id: str) -> asyncio.Lock:
        lock = self._locks.get(client_order_id)
        if lock is None:
            lock = self._locks[client_order_id] = asyncio.Lock()
        return lock

    def _update(self, order: Order, status: OrderStatus, reason: str = "", **extra: Any) -> None:
        self.listener.on_order_update(
            OrderUpdate(
                order.client_order_id,
                status,
                self.clock_ns(),
                broker_order_id=extra.pop("broker_order_id", order.broker_order_id),
                reason=reason,
                **extra,
            )
        )
