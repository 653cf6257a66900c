"""Alerts around a trading session: the runtime's half of the alerts wiring.

    async with session_alerts(session, settings.alerts):
        report = await session.run()

Starts the alert service (when a channel is enabled) on the session's bus with the session's
control surface for Telegram commands, and the feed watchdog; afterwards sends what is queued
(within a time limit) and stops both. A session that dies of an unhandled error says so on the
alert channels before the error goes on up. While a resumed session re-derives its past, alerts
are muted: they were sent the first time.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from scalpbot.alerts import Alert, AlertService, DeliveryTuning
from scalpbot.config import AlertsSettings
from scalpbot.runtime.control import SessionControl
from scalpbot.runtime.feed_watchdog import FeedWatchdog, feed_timeout_s
from scalpbot.runtime.session import TradingSession

log = logging.getLogger(__name__)


@asynccontextmanager
async def session_alerts(
    session: TradingSession,
    settings: AlertsSettings,
    *,
    tuning: Mapping[str, DeliveryTuning] | None = None,
    tls_context: ssl.SSLContext | None = None,
    watchdog_timeout_s: float | None = None,
    poll_timeout_s: float = 25.0,
    confirm_window_s: float = 60.0,
    stop_timeout_s: float = 5.0,
) -> AsyncIterator[AlertService | None]:
    """Alerts and the feed watchdog for the duration of the block; yields the service (None
    when no channel is enabled)."""
    service: AlertService | None = None
    if settings.enabled_channels():
        service = AlertService(
            settings,
            control=SessionControl(session),
            tuning=tuning,
            tls_context=tls_context,
            muted=lambda: session.events_processed < session.resumed_from,
            poll_timeout_s=poll_timeout_s,
            confirm_window_s=confirm_window_s,
        )
        service.attach(session.engine.bus)
        await service.start()
    timeout = watchdog_timeout_s or feed_timeout_s(session.feed)
    watchdog = FeedWatchdog(
        session.engine.bus,
        lambda: session.events_processed,
        session.clock.now_ns,
        timeout_s=timeout,
    )
    watchdog.start()
    try:
        yield service
    except Exception as exc:
        if service is not None:
            service.notify(
                Alert("error", f"💥 Session {session.session_id} ended by an error: {exc}")
            )
        raise
    finally:
        await watchdog.stop()
        if service is not None:
            try:
                await service.stop(stop_timeout_s)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("alerts: stopping the alert service failed")
            service.detach()
