"""Remote control from the phone: Telegram commands read by long polling `getUpdates`.

Only messages from the configured chat are obeyed; anything else is logged and ignored (no
reply, so a stranger learns nothing, not even that the bot is alive). Commands act through the
`ControlSurface` the runtime hands over — the same one the dashboard uses — so Telegram can do
exactly what the dashboard can and nothing more. `/killswitch` only arms: a `/confirm` from the
same chat within the window does the emergency stop, so a slip of the thumb flattens nothing.

Messages sent before the bot started (older than `stale_s`) are skipped: a `/stop` typed last
night must not end this morning's session. Handled updates are confirmed to Telegram (the next
`offset`) before shutting down, so a restart does not see them again. Network trouble while
polling backs off and keeps polling; nothing here ever raises into the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from scalpbot.alerts import replies
from scalpbot.alerts.delivery import AlertStatus, DeliveryError, DeliveryTuning
from scalpbot.alerts.tasks import cancel_and_wait
from scalpbot.alerts.telegram import TelegramClient, TelegramSender
from scalpbot.domain import ControlError, ControlSurface

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
COMMANDS = ("status", "positions", "orders", "pnl", "pause", "resume", "stop", "killswitch")


class TelegramCommands:
    """Polls for commands and answers them.

    commands = TelegramCommands(client, chat_id, control, status=channel_status)
    commands.start()          # inside the running loop
    ...
    await commands.stop()
    """

    def __init__(
        self,
        client: TelegramClient,
        chat_id: str,
        control: ControlSurface,
        *,
        status: AlertStatus | None = None,
        poll_timeout_s: float = 25.0,
        confirm_window_s: float = 60.0,
        stale_s: float = 60.0,
        backoff: DeliveryTuning | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.chat_id = str(chat_id)
        self.control = control
        self.status = status or AlertStatus("telegram")
        self.poll_timeout_s = poll_timeout_s
        self.confirm_window_s = confirm_window_s
        self.stale_s = stale_s
        self.backoff = backoff or DeliveryTuning()
        self._sender = TelegramSender(client, self.chat_id)
        self._sleep = sleep
        self._monotonic = monotonic
        self._wall = wall
        self._offset = 0
        self._confirmed_offset = 0
        self._kill_armed_until: float | None = None
        self._started_wall = wall()
        self._busy = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.poll_errors = 0
        self.last_poll_error: str | None = None
        self.handled = 0
        self.ignored = 0

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._closing = False
            self._started_wall = self._wall()
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="scalpbot-telegram-commands"
            )

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Let a command being handled finish (up to `timeout_s`), stop polling, and confirm the
        handled updates to Telegram so they are not seen again."""
        task, self._task = self._task, None
        if task is None:
            return
        acquired = False
        with contextlib.suppress(TimeoutError):
            acquired = await asyncio.wait_for(self._busy.acquire(), timeout_s)
        self._closing = True
        await cancel_and_wait(task)
        if acquired:
            self._busy.release()
        if self._offset > self._confirmed_offset:
            with contextlib.suppress(DeliveryError):
                await self.client.call(
                    "getUpdates", {"offset": self._offset, "timeout": 0}, timeout_s=3.0
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "polling": self._task is not None and not self._task.done(),
            "handled": self.handled,
            "ignored": self.ignored,
            "poll_errors": self.poll_errors,
            "last_poll_error": self.last_poll_error,
        }

    # -- polling -------------------------------------------------------------------------------
    async def _run(self) -> None:
        failures = 0
        while not self._closing:
            payload = {
                "offset": self._offset,
                "timeout": int(self.poll_timeout_s),
                "allowed_updates": ["message"],
            }
            try:
                updates = await self.client.call(
                    "getUpdates", payload, timeout_s=self.poll_timeout_s + 10.0
                )
            except DeliveryError as exc:
                failures += 1
                self.poll_errors += 1
                self.last_poll_error = str(exc)
                delay = self.backoff.backoff(failures)
                if not exc.retryable:
                    delay = max(delay, self.backoff.max_delay_s)
                level = logging.WARNING if failures == 1 or not exc.retryable else logging.DEBUG
                log.log(
                    level, "Telegram commands: polling failed (%s); again in %.1f s", exc, delay
                )
                await self._sleep(delay)
                continue
            self._confirmed_offset = self._offset
            if failures:
                log.info("Telegram commands: polling works again")
                failures = 0
            for update in updates if isinstance(updates, list) else []:
                if self._closing:
                    return  # not handled, not confirmed: seen again by the next start
                async with self._busy:
                    try:
                        await self.handle_update(update)
                    except Exception:
                        log.exception("Telegram commands: could not handle an update")

    # -- one update ------------------------------------------------------------------------------
    async def handle_update(self, update: dict[str, Any]) -> None:
        update_id = update.get("update_id")
        if isinstance(update_id, int):
            self._offset = max(self._offset, update_id + 1)
        message = update.get("message")
        if not isinstance(message, dict):
            return
        chat = message.get("chat")
        chat_id = str(chat.get("id")) if isinstance(chat, dict) else None
        text = str(message.get("text") or "").strip()
        word = text.split()[0] if text else ""
        if chat_id != self.chat_id:
            self.ignored += 1
            log.warning(
                "Telegram commands: ignored %r from chat %s (only chat %s is obeyed)",
                word[:40],
                chat_id,
                self.chat_id,
            )
            return
        sent = message.get("date")
        if isinstance(sent, int | float) and sent < self._started_wall - self.stale_s:
            self.ignored += 1
            log.info("Telegram commands: skipped %r, sent before the bot started", word[:40])
            return
        if not word.startswith("/"):
            await self._reply("Send /help for the commands.")
            return
        command = word[1:].split("@", 1)[0].lower()
        self.handled += 1
        log.info("Telegram commands: /%s from chat %s", command, chat_id)
        await self._reply(self.execute(command))

    def execute(self, command: str) -> str:
        """Carry out `command` (without the slash) on the control surface; returns the reply."""
        control = self.control
        try:
            if command == "status":
                return replies.status_text(control.status())
            if command == "positions":
                return replies.positions_text(control.positions())
            if command == "orders":
                return replies.orders_text(control.orders(working_only=True))
            if command == "pnl":
                return replies.pnl_text(control.pnl())
            if command == "pause":
                control.pause("paused from Telegram")
                return "⏸ Paused: no new entries; stops, targets and exits keep working."
            if command == "resume":
                control.resume()
                return "▶️ Resumed: trading again."
            if command == "stop":
                control.stop("stopped from Telegram")
                return "⏹ Stopping the session (working orders are cancelled per settings)."
            if command == "killswitch":
                self._kill_armed_until = self._monotonic() + self.confirm_window_s
                return (
                    f"⚠️ Reply /confirm within {self.confirm_window_s:.0f} s to cancel every "
                    "order, flatten everything at market and halt."
                )
            if command == "confirm":
                return self._confirm_kill()
            if command in ("help", "start"):
                return replies.HELP_TEXT
        except ControlError as exc:
            return f"Cannot {command}: {exc}"
        return f"Unknown command /{command}; /help lists them."

    def _confirm_kill(self) -> str:
        armed, self._kill_armed_until = self._kill_armed_until, None
        if armed is None or self._monotonic() > armed:
            return (
                "Nothing to confirm (send /killswitch first; it expires after "
                f"{self.confirm_window_s:.0f} s)."
            )
        self.control.emergency_stop("kill switch from Telegram")
        return (
            "🆘 Emergency stop done: orders cancelled, positions flattened at market, "
            "entries halted. /status to check; /resume after review."
        )

    async def _reply(self, text: str) -> None:
        for attempt in (1, 2, 3):
            try:
                await self._sender.send_text(text)
            except DeliveryError as exc:
                if exc.retryable and attempt < 3:
                    delay = exc.retry_after if exc.retry_after is not None else attempt
                    await self._sleep(min(delay, self.backoff.max_delay_s))
                    continue
                self.status.record_failure(f"reply: {exc}")
                log.error("Telegram commands: reply not sent: %s", exc)
                return
            self.status.record_success()
            return
