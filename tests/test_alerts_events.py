"""Every engine event an alert exists for reaches Telegram and e-mail with the right words.

A real EventBus with real event objects; a fake Telegram Bot API server and a real SMTP server
(aiosmtpd), both on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

import pytest

from alerts_support import (
    CHAT_ID,
    FAST,
    TS,
    alerts_settings,
    every_event,
    order,
    smtp_server,
)
from fake_telegram import FakeTelegram
from scalpbot.alerts import AlertService
from scalpbot.config import EVENT_NAMES, AlertsSettings
from scalpbot.domain import OrderStatus
from scalpbot.engine.bus import EventBus
from scalpbot.engine.events import ErrorEvent, OrderEvent, RiskRejectedEvent


async def publish_all(settings: AlertsSettings, events: list[object]) -> None:
    bus = EventBus()
    service = AlertService(settings, tuning={"telegram": FAST, "email": FAST})
    service.attach(bus)
    await service.start()
    for event in events:
        bus.publish(event)
    assert await service.drain(30)
    await service.stop()


def test_every_event_reaches_telegram_and_email_with_its_text() -> None:
    expected = every_event()
    assert sorted(name for name, _, _ in expected) == sorted(EVENT_NAMES)
    with FakeTelegram() as tg, smtp_server() as (smtp, port):
        settings = alerts_settings(telegram_url=tg.url, token=tg.token, smtp_port=port)
        asyncio.run(publish_all(settings, [event for _, event, _ in expected]))
        texts = tg.texts(CHAT_ID)
        mails = smtp.mails
    assert len(texts) == len(expected), texts
    for (name, _, words), text in zip(expected, texts, strict=True):
        assert words in text, (name, text)
    assert [m.subject for m in mails] == [f"[scalpbot] {name}" for name, _, _ in expected]
    for (name, _, words), mail in zip(expected, mails, strict=True):
        assert words in mail.body, (name, mail.body)
        assert "Session time: 2025-06-02 10:15:03 IST" in mail.body
        assert mail.sender == "bot@example.com"
        assert mail.recipients == ["trader@example.com", "partner@example.com"]
        assert mail.message["To"] == "trader@example.com, partner@example.com"


def test_each_event_goes_only_to_the_channels_it_is_routed_to() -> None:
    by_name = {name: event for name, event, _ in every_event()}
    events = {"order_placed": ["email"], "order_filled": [], "daily_summary": ["telegram"]}
    with FakeTelegram() as tg, smtp_server() as (smtp, port):
        settings = alerts_settings(
            telegram_url=tg.url, token=tg.token, smtp_port=port, events=events
        )
        chosen = ["order_placed", "order_filled", "daily_summary", "feed_down"]
        asyncio.run(publish_all(settings, [by_name[name] for name in chosen]))
        texts = tg.texts(CHAT_ID)
        subjects = smtp.subjects()
    # Unlisted events (feed_down) go everywhere; [] silences order_filled.
    assert [t.split()[1] for t in texts] == ["Daily", "Market"]
    assert subjects == ["[scalpbot] order_placed", "[scalpbot] feed_down"]


def test_a_tripped_limit_alerts_once_until_entries_pass_again() -> None:
    def refusal(code: str) -> RiskRejectedEvent:
        return RiskRejectedEvent("trend:NSE:RELIANCE", "NSE:RELIANCE", code, f"{code} hit", TS)

    events: list[object] = [
        refusal("daily_loss_limit"),
        refusal("daily_loss_limit"),  # the strategy retries next bar: no second alert
        refusal("market_closed"),  # routine: no alert at all
        refusal("after_square_off"),
        OrderEvent(order(OrderStatus.OPEN, client_order_id="S1X9"), TS),  # entries pass again
        refusal("daily_loss_limit"),
        ErrorEvent("feed", "timeout", TS),
        ErrorEvent("feed", "timeout", TS),  # the same error again: folded away
    ]
    with FakeTelegram() as tg:
        settings = alerts_settings(telegram_url=tg.url, token=tg.token)
        asyncio.run(publish_all(settings, events))
        texts = tg.texts(CHAT_ID)
    assert len(texts) == 4, texts
    limit = "⛔ Risk: daily_loss_limit — daily_loss_limit hit (trend:NSE:RELIANCE, NSE:RELIANCE)"
    assert texts[0] == limit
    assert texts[1].startswith("📝 PLACED BUY 10 NSE:RELIANCE")
    assert texts[2] == limit
    assert texts[3] == "⚠️ Error in feed: timeout"


def test_muted_while_a_resumed_session_replays_its_past() -> None:
    replaying = [True]
    event = OrderEvent(
        order(OrderStatus.FILLED, filled_quantity=10, average_price=Decimal("1400")), TS
    )
    with FakeTelegram() as tg:
        settings = alerts_settings(telegram_url=tg.url, token=tg.token)

        async def scenario() -> None:
            bus = EventBus()
            service = AlertService(settings, tuning={"telegram": FAST}, muted=lambda: replaying[0])
            service.attach(bus)
            await service.start()
            bus.publish(event)
            replaying[0] = False
            bus.publish(OrderEvent(order(OrderStatus.REJECTED, client_order_id="S1X5"), TS))
            assert await service.drain(10)
            await service.stop()

        asyncio.run(scenario())
        assert [t.split()[1] for t in tg.texts(CHAT_ID)] == ["REJECTED"]


def test_a_broken_event_is_logged_and_never_raised_into_the_engine(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with FakeTelegram() as tg:
        settings = alerts_settings(telegram_url=tg.url, token=tg.token)

        async def scenario() -> None:
            bus = EventBus()
            service = AlertService(settings, tuning={"telegram": FAST})
            service.attach(bus)
            await service.start()
            bus.publish(OrderEvent(None, TS))  # type: ignore[arg-type]
            bus.publish(ErrorEvent("engine", "still alive", TS))
            assert await service.drain(10)
            await service.stop()
            service.detach()
            assert not bus.has_subscribers(OrderEvent)

        with caplog.at_level(logging.ERROR, logger="scalpbot.alerts"):
            asyncio.run(scenario())
        assert tg.texts(CHAT_ID) == ["⚠️ Error in engine: still alive"]
    assert "could not handle OrderEvent" in caplog.text


def test_edited_settings_apply_to_a_running_service() -> None:
    by_name = {name: event for name, event, _ in every_event()}
    with FakeTelegram() as tg, smtp_server() as (smtp, port):
        first = alerts_settings(telegram_url=tg.url, token=tg.token)
        edited = alerts_settings(
            telegram_url=tg.url,
            token=tg.token,
            smtp_port=port,
            events={"order_filled": ["email"], "feed_down": []},
        )

        async def scenario() -> dict[str, object]:
            bus = EventBus()
            service = AlertService(first, tuning={"telegram": FAST, "email": FAST})
            service.attach(bus)
            await service.start()
            bus.publish(by_name["order_filled"])
            assert await service.drain(10)
            await service.reconfigure(edited)  # e-mail switched on, routing changed
            assert service.channels == ["telegram", "email"]
            for name in ("order_filled", "feed_down", "daily_summary"):
                bus.publish(by_name[name])
            assert await service.drain(10)
            await service.reconfigure(first)  # e-mail switched off again
            assert service.channels == ["telegram"]
            status = service.status()
            await service.stop()
            return status

        status = asyncio.run(scenario())
        texts = tg.texts(CHAT_ID)
        subjects = smtp.subjects()
    assert [t.split()[1] for t in texts] == ["FILLED", "Daily"]
    assert subjects == ["[scalpbot] order_filled", "[scalpbot] daily_summary"]
    assert list(status) == ["telegram"]
