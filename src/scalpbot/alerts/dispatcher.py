"""One channel's outbox: a queue the engine can always write to, drained by one sender task.

The engine's bus handlers call `put`, which appends and returns at once — it never awaits, never
blocks and never raises, whatever the state of the network. A task per channel takes messages
off the queue and sends them, trying again with exponential back-off when the failure is
transient (and waiting as long as the server asks after a 429), giving up at once when it is
not (a bad token). At most `per_minute` messages leave per window; when more alerts wait than
the window still allows, they go out folded into one message that lists them, which is what a
trader wants when twenty fills land in one second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from scalpbot.alerts.delivery import Alert, AlertStatus, DeliveryError, DeliveryTuning, Sender
from scalpbot.alerts.tasks import cancel_and_wait

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
FOLDED = "folded"
TAIL_ROOM = 24  # "\n… and 12345 more" always fits after the last line listed


def fold(alerts: list[Alert], max_chars: int, *, dropped: int = 0) -> Alert:
    """Many alerts as one message, one line each, cut to `max_chars` with a count of the rest."""
    lines = [f"📦 {len(alerts)} alerts at once (rate limit):"]
    room = max_chars - len(lines[0]) - TAIL_ROOM
    for index, alert in enumerate(alerts):
        line = "• " + " ".join(alert.text.split())
        if len(line) + 1 > room:
            lines.append(f"… and {len(alerts) - index} more")
            break
        lines.append(line)
        room -= len(line) + 1
    text = "\n".join(lines)
    if dropped:
        text = _with_drop_note(text, dropped, max_chars)
    return Alert(FOLDED, text, alerts[-1].at)


def _with_drop_note(text: str, dropped: int, max_chars: int) -> str:
    note = f"\n({dropped} earlier alerts dropped: the queue was full)"
    return text[: max(0, max_chars - len(note))] + note


class ChannelDispatcher:
    """Queue, rate cap, retries and health (`status`) of one `Sender`.

    dispatcher = ChannelDispatcher(TelegramSender(...), DeliveryTuning())
    dispatcher.start()                  # inside the running event loop
    dispatcher.put(Alert("order_filled", "✅ FILLED ..."))
    await dispatcher.stop(timeout_s=10) # sends what it can in 10 s, then gives up
    """

    def __init__(
        self,
        sender: Sender,
        tuning: DeliveryTuning | None = None,
        *,
        status: AlertStatus | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sender = sender
        self.name = sender.name
        self.tuning = tuning or DeliveryTuning()
        self.status = status or AlertStatus(sender.name)
        self._sleep = sleep
        self._monotonic = monotonic
        self._queue: deque[Alert] = deque()
        self._sent_at: deque[float] = deque()
        self._dropped_unreported = 0
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    # -- the engine's side: never blocks, never raises ---------------------------------------
    def put(self, alert: Alert) -> None:
        try:
            queue = self._queue
            if len(queue) >= self.tuning.max_queue:
                queue.popleft()
                self._dropped_unreported += 1
                self.status.dropped += 1
            queue.append(alert)
            self.status.queued = len(queue)
            self._idle.clear()
            self._wakeup.set()
        except Exception:  # pragma: no cover - defensive: nothing may reach the engine
            log.exception("could not queue an alert for %s", self.name)

    # -- life cycle ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"scalpbot-alerts-{self.name}"
        )

    async def drain(self, timeout_s: float) -> bool:
        """Wait until everything queued was sent (or given up on); False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Send what can be sent within `timeout_s`, then stop; the rest is logged as lost."""
        if self.running:
            await self.drain(timeout_s)
        self._closing = True
        self._wakeup.set()
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
        if self._queue:
            lost = len(self._queue)
            self._queue.clear()
            self.status.dropped += lost
            self.status.queued = 0
            log.warning("%s: %d alerts not sent before shutting down", self.name, lost)
        self._idle.set()

    # -- the sender task -------------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._closing:
            if not self._queue:
                self._idle.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            budget = await self._wait_for_room()
            alert = self._take(budget)
            try:
                await self._deliver(alert)
            except asyncio.CancelledError:
                raise
            except Exception:  # pragma: no cover - a bug in a sender must not kill the task
                log.exception("%s: unexpected error while sending an alert", self.name)
            self.status.queued = len(self._queue)

    async def _wait_for_room(self) -> int:
        """Wait until the window allows one more message; returns how many it allows now."""
        tuning = self.tuning
        while True:
            now = self._monotonic()
            sent = self._sent_at
            while sent and now - sent[0] >= tuning.window_s:
                sent.popleft()
            room = tuning.per_minute - len(sent)
            if room > 0:
                return room
            await self._sleep(sent[0] + tuning.window_s - now)

    def _take(self, budget: int) -> Alert:
        queue = self._queue
        dropped, self._dropped_unreported = self._dropped_unreported, 0
        if len(queue) > budget and len(queue) > 1:
            alerts = list(queue)
            queue.clear()
            self.status.folded += len(alerts)
            return fold(alerts, self.sender.max_chars, dropped=dropped)
        alert = queue.popleft()
        if dropped:
            text = _with_drop_note(alert.text, dropped, self.sender.max_chars)
            alert = Alert(alert.event, text, alert.at)
        return alert

    async def _deliver(self, alert: Alert) -> None:
        tuning = self.tuning
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.sender.send(alert)
            except DeliveryError as exc:
                error = exc
            else:
                self._sent_at.append(self._monotonic())
                self.status.record_success()
                return
            if not error.retryable or attempt >= tuning.max_attempts or self._closing:
                self.status.record_failure(str(error))
                log.error(
                    "%s: %s alert not sent after %d attempt(s): %s",
                    self.name,
                    alert.event,
                    attempt,
                    error,
                )
                return
            delay = tuning.backoff(attempt)
            if error.retry_after is not None:
                delay = min(max(error.retry_after, 0.0), tuning.max_retry_after_s)
            self.status.retries += 1
            self.status.last_error = str(error)
            log.warning(
                "%s: sending failed (%s); try %d of %d in %.1f s",
                self.name,
                error,
                attempt + 1,
                tuning.max_attempts,
                delay,
            )
            await self._sleep(delay)
