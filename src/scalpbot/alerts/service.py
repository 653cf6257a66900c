"""`AlertService`: the alerts of one session, wired to its bus and control surface.

    service = AlertService(settings.alerts, control=control)
    service.attach(engine.bus)       # engine events → queued alerts (never blocks the engine)
    await service.start()            # sender tasks and Telegram command polling
    ...
    service.status()                 # per channel: sent, failures, last error (dashboard)
    await service.send_test()        # {"telegram": "sent", "email": "failed: ..."}
    await service.stop()             # sends what is queued (within a time limit), then stops

Only enabled channels exist; which events go to which channel is `AlertsSettings.channels_for`.
Telegram commands run only when a control surface is given.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Mapping
from typing import Any

from scalpbot.alerts.delivery import Alert, AlertStatus, DeliveryError, DeliveryTuning, Sender
from scalpbot.alerts.dispatcher import ChannelDispatcher
from scalpbot.alerts.mail import EmailSender
from scalpbot.alerts.messages import TEST_TEXT
from scalpbot.alerts.router import EventRouter
from scalpbot.alerts.telegram import TelegramClient, TelegramSender
from scalpbot.alerts.telegram_commands import TelegramCommands
from scalpbot.config import CHANNELS, AlertsSettings
from scalpbot.domain import ControlSurface
from scalpbot.engine.bus import EventBus

log = logging.getLogger(__name__)

#: Default caps: Telegram allows about 20 messages a minute to one group; e-mail is slower.
DEFAULT_TUNING: dict[str, DeliveryTuning] = {
    "telegram": DeliveryTuning(per_minute=20),
    "email": DeliveryTuning(per_minute=10),
}


class AlertService:
    """Every alert channel of one session, and the Telegram commands.

    `tuning` overrides the delivery settings per channel (tests use small delays);
    `tls_context` is used for SMTP's STARTTLS/SSL (a private CA); `muted()` true drops events
    (a resumed session re-deriving its past); `poll_timeout_s` is Telegram's long-poll wait.
    """

    def __init__(
        self,
        settings: AlertsSettings,
        *,
        control: ControlSurface | None = None,
        tuning: Mapping[str, DeliveryTuning] | None = None,
        tls_context: ssl.SSLContext | None = None,
        muted: Callable[[], bool] | None = None,
        poll_timeout_s: float = 25.0,
        confirm_window_s: float = 60.0,
    ) -> None:
        self.settings = settings
        self._control = control
        self._tuning = {**DEFAULT_TUNING, **(tuning or {})}
        self._tls_context = tls_context
        self._poll_timeout_s = poll_timeout_s
        self._confirm_window_s = confirm_window_s
        self._dispatchers: dict[str, ChannelDispatcher] = {}
        self._statuses: dict[str, AlertStatus] = {}  # outlive their dispatchers, for display
        self.commands: TelegramCommands | None = None
        self.router = EventRouter(self.notify, muted=muted)
        self._detach: Callable[[], None] | None = None
        self._running = False
        for name in CHANNELS:
            self._open_channel(name)

    def _open_channel(self, name: str) -> None:
        """Create the dispatcher of channel `name` if it is enabled (and, for Telegram with a
        control surface, the command poller)."""
        sender: Sender
        if name == "telegram":
            telegram = self.settings.telegram
            if not (telegram.enabled and telegram.bot_token is not None and telegram.chat_id):
                return
            client = TelegramClient(telegram.bot_token.get_secret_value(), telegram.api_url)
            sender = TelegramSender(client, telegram.chat_id)
        elif name == "email":
            if not self.settings.email.enabled:
                return
            sender = EmailSender(self.settings.email, tls_context=self._tls_context)
        else:
            return
        status = self._statuses.setdefault(name, AlertStatus(name))
        dispatcher = ChannelDispatcher(sender, self._tuning[name], status=status)
        self._dispatchers[name] = dispatcher
        if isinstance(sender, TelegramSender) and self._control is not None:
            self.commands = TelegramCommands(
                sender.client,
                sender.chat_id,
                self._control,
                status=dispatcher.status,
                poll_timeout_s=self._poll_timeout_s,
                confirm_window_s=self._confirm_window_s,
                backoff=self._tuning[name],
            )

    async def _close_channel(self, name: str, timeout_s: float) -> None:
        dispatcher = self._dispatchers.pop(name, None)
        if name == "telegram" and self.commands is not None:
            commands, self.commands = self.commands, None
            await commands.stop(timeout_s=min(timeout_s, 5.0))
        if dispatcher is None:
            return
        await dispatcher.stop(timeout_s)
        try:
            await dispatcher.sender.aclose()
        except Exception:
            log.exception("alerts: closing %s failed", name)

    async def reconfigure(self, settings: AlertsSettings, timeout_s: float = 5.0) -> None:
        """Apply edited settings (the dashboard's Alerts tab) to a running service: event
        routing changes at once; a channel whose own settings changed is closed (sending what
        it has queued) and reopened with the new ones."""
        old, self.settings = self.settings, settings
        for name in CHANNELS:
            if getattr(old, name) == getattr(settings, name):
                continue
            await self._close_channel(name, timeout_s)
            if not getattr(settings, name).enabled:
                self._statuses.pop(name, None)
            self._open_channel(name)
            if self._running:
                self._start_channel(name)

    @property
    def channels(self) -> list[str]:
        """The enabled channels, in the order of `CHANNELS`."""
        return list(self._dispatchers)

    # -- engine side ---------------------------------------------------------------------------
    def attach(self, bus: EventBus) -> None:
        """Subscribe to the engine's events (once)."""
        if self._detach is None:
            self._detach = self.router.attach(bus)

    def detach(self) -> None:
        if self._detach is not None:
            self._detach()
            self._detach = None

    def notify(self, alert: Alert) -> None:
        """Queue `alert` on each channel its event is routed to. Never blocks, never raises."""
        try:
            for channel in self.settings.channels_for(alert.event):
                dispatcher = self._dispatchers.get(channel)
                if dispatcher is not None:
                    dispatcher.put(alert)
        except Exception:
            log.exception("alerts: could not queue a %s alert", alert.event)

    # -- life cycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the sender tasks and Telegram command polling (inside the running loop)."""
        self._running = True
        for name in list(self._dispatchers):
            self._start_channel(name)

    def _start_channel(self, name: str) -> None:
        dispatcher = self._dispatchers.get(name)
        if dispatcher is not None:
            dispatcher.start()
        if name == "telegram" and self.commands is not None:
            self.commands.start()

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Stop polling, send what is queued within `timeout_s`, close connections."""
        self._running = False
        await asyncio.gather(
            *(self._close_channel(name, timeout_s) for name in list(self._dispatchers)),
            return_exceptions=True,
        )

    async def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait until every channel's queue is empty; False if one still has work after
        `timeout_s`."""
        results = await asyncio.gather(*(d.drain(timeout_s) for d in self._dispatchers.values()))
        return all(results)

    # -- the dashboard's side --------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Per channel: enabled, running, counts, last error and last success (no secrets);
        still there after `stop`."""
        shown: dict[str, Any] = {}
        for name, status in self._statuses.items():
            dispatcher = self._dispatchers.get(name)
            entry = status.to_dict()
            entry["enabled"] = bool(getattr(self.settings, name).enabled)
            entry["running"] = dispatcher is not None and dispatcher.running
            if name == "telegram" and self.commands is not None:
                entry["commands"] = self.commands.to_dict()
            shown[name] = entry
        return shown

    async def send_test(self, timeout_s: float = 30.0) -> dict[str, str]:
        """Send "scalpbot test message" on every enabled channel now (one try each, bypassing
        the queue); returns per channel "sent" or "failed: <reason>"."""
        results = await asyncio.gather(
            *(self._test_one(d, timeout_s) for d in self._dispatchers.values())
        )
        return dict(zip(self._dispatchers, results, strict=True))

    async def _test_one(self, dispatcher: ChannelDispatcher, timeout_s: float) -> str:
        try:
            await asyncio.wait_for(dispatcher.sender.send(Alert("test", TEST_TEXT)), timeout_s)
        except DeliveryError as exc:
            dispatcher.status.record_failure(f"test: {exc}")
            return f"failed: {exc}"
        except TimeoutError:
            dispatcher.status.record_failure("test: no answer in time")
            return f"failed: no answer within {timeout_s:.0f} s"
        except Exception as exc:  # a test must report, not crash the dashboard
            log.exception("alerts: test on %s failed", dispatcher.name)
            return f"failed: {exc!r}"
        dispatcher.status.record_success()
        return "sent"
