"""Alerts and remote control: Telegram and e-mail notifications of engine events, and Telegram
commands that act through the session's control surface.

    service = AlertService(settings.alerts, control=control)
    service.attach(engine.bus)
    await service.start()

Imports only the domain, the engine's events and bus, and the settings models (never the
runtime): the runtime hands it a bus and a `ControlSurface`.
"""

from scalpbot.alerts.delivery import Alert, AlertStatus, DeliveryError, DeliveryTuning, Sender
from scalpbot.alerts.dispatcher import ChannelDispatcher
from scalpbot.alerts.mail import EmailSender
from scalpbot.alerts.router import EventRouter
from scalpbot.alerts.service import AlertService
from scalpbot.alerts.telegram import TelegramClient, TelegramSender
from scalpbot.alerts.telegram_commands import TelegramCommands

__all__ = [
    "Alert",
    "AlertService",
    "AlertStatus",
    "ChannelDispatcher",
    "DeliveryError",
    "DeliveryTuning",
    "EmailSender",
    "EventRouter",
    "Sender",
    "TelegramClient",
    "TelegramCommands",
    "TelegramSender",
]
