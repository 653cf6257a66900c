"""Sending never blocks or breaks trading: the cap folds bursts, transient failures are retried
(honouring Telegram's retry_after), permanent ones are not, a dead server is recorded and
survived, and the bot token never reaches a log line."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from alerts_support import CHAT_ID, FAST, alerts_settings, every_event, free_port, smtp_server
from fake_telegram import FakeTelegram
from scalpbot.alerts import Alert, AlertService, ChannelDispatcher, DeliveryTuning
from scalpbot.alerts.telegram import TelegramClient, TelegramSender
from scalpbot.engine.bus import EventBus


def telegram_dispatcher(
    tg: FakeTelegram, tuning: DeliveryTuning, token: str = ""
) -> ChannelDispatcher:
    client = TelegramClient(token or tg.token, tg.url)
    return ChannelDispatcher(TelegramSender(client, CHAT_ID), tuning)


def alert(n: int) -> Alert:
    return Alert("order_filled", f"✅ FILLED BUY {n} NSE:INFY @ 1,500.00")


def test_over_the_cap_queued_alerts_are_folded_into_one_message() -> None:
    tuning = DeliveryTuning(per_minute=2, window_s=1.0, base_delay_s=0.05)
    with FakeTelegram() as tg:

        async def scenario() -> ChannelDispatcher:
            dispatcher = telegram_dispatcher(tg, tuning)
            dispatcher.start()
            for n in range(1, 6):  # a burst: more than the window allows
                dispatcher.put(alert(n))
            assert await dispatcher.drain(10)
            dispatcher.put(alert(6))  # one slot left: sent as it is
            assert await dispatcher.drain(10)
            for n in range(7, 10):  # window full: waits for it, then folds the three
                dispatcher.put(alert(n))
            assert await dispatcher.drain(10)
            await dispatcher.stop()
            return dispatcher

        dispatcher = asyncio.run(scenario())
        messages = list(tg.messages)
    assert len(messages) == 3
    first, second, third = (m.text for m in messages)
    assert first.startswith("📦 5 alerts at once (rate limit):")
    assert first.splitlines()[1:] == [
        f"• ✅ FILLED BUY {n} NSE:INFY @ 1,500.00" for n in range(1, 6)
    ]
    assert second == "✅ FILLED BUY 6 NSE:INFY @ 1,500.00"
    assert third.startswith("📦 3 alerts at once") and "BUY 9 NSE:INFY" in third
    # The third message waited for the first one to leave the one-second window.
    assert messages[2].at - messages[0].at >= 0.9
    assert dispatcher.status.sent == 3 and dispatcher.status.folded == 8


def test_a_5xx_is_retried_with_back_off_until_it_goes_through() -> None:
    with FakeTelegram() as tg:
        tg.fail_next(2, status=502)

        async def scenario() -> ChannelDispatcher:
            dispatcher = telegram_dispatcher(tg, FAST)
            dispatcher.start()
            dispatcher.put(alert(1))
            assert await dispatcher.drain(10)
            await dispatcher.stop()
            return dispatcher

        dispatcher = asyncio.run(scenario())
        assert tg.texts(CHAT_ID) == [alert(1).text]
        assert tg.calls.count("sendMessage") == 3
    status = dispatcher.status
    assert (status.sent, status.retries, status.failures) == (1, 2, 0)
    assert status.last_success_at is not None


def test_telegram_429_retry_after_is_honoured() -> None:
    with FakeTelegram() as tg:
        tg.rate_limit_next(1, retry_after=1)

        async def scenario() -> float:
            dispatcher = telegram_dispatcher(tg, FAST)  # its own back-off would be 0.05 s
            dispatcher.start()
            started = time.monotonic()
            dispatcher.put(alert(1))
            assert await dispatcher.drain(10)
            await dispatcher.stop()
            assert dispatcher.status.retries == 1
            assert "retry after 1" in (dispatcher.status.last_error or "")
            return started

        started = asyncio.run(scenario())
        (message,) = tg.messages
    assert message.at - started >= 1.0


def test_a_bad_token_is_not_retried_and_is_reported() -> None:
    with FakeTelegram() as tg:

        async def scenario() -> ChannelDispatcher:
            dispatcher = telegram_dispatcher(tg, FAST, token="999:wrong-token-zzzzzzzzzzzz")
            dispatcher.start()
            dispatcher.put(alert(1))
            assert await dispatcher.drain(10)
            await dispatcher.stop()
            return dispatcher

        dispatcher = asyncio.run(scenario())
        assert tg.calls == ["sendMessage"]
    status = dispatcher.status
    assert (status.sent, status.retries, status.failures) == (0, 0, 1)
    assert "401" in (status.last_error or "") and "bot_token" in (status.last_error or "")


def test_a_full_queue_drops_the_oldest_and_says_so() -> None:
    tuning = DeliveryTuning(per_minute=100, max_queue=3)
    with FakeTelegram() as tg:

        async def scenario() -> ChannelDispatcher:
            dispatcher = telegram_dispatcher(tg, tuning)
            for n in range(1, 6):  # before the sender runs: 1 and 2 fall out
                dispatcher.put(alert(n))
            dispatcher.start()
            assert await dispatcher.drain(10)
            await dispatcher.stop()
            return dispatcher

        dispatcher = asyncio.run(scenario())
        texts = tg.texts(CHAT_ID)
    assert texts[0] == alert(3).text + "\n(2 earlier alerts dropped: the queue was full)"
    assert texts[1:] == [alert(4).text, alert(5).text]
    assert dispatcher.status.dropped == 2


def test_dead_servers_are_recorded_and_never_hold_up_the_engine() -> None:
    dead_telegram = f"http://127.0.0.1:{free_port()}"
    settings = alerts_settings(
        telegram_url=dead_telegram, token="123:dead-token-abcdefghijkl", smtp_port=free_port()
    )

    async def scenario() -> dict[str, dict[str, object]]:
        bus = EventBus()
        quick = DeliveryTuning(per_minute=1000, base_delay_s=0.05, max_attempts=2)
        service = AlertService(settings, tuning={"telegram": quick, "email": quick})
        service.attach(bus)
        await service.start()
        for _, event, _ in every_event():
            bus.publish(event)  # returns at once: nothing is sent inside publish
        # Both channels only queued so far.
        assert all(s["sent"] == 0 and s["failures"] == 0 for s in service.status().values())
        assert await service.drain(20)
        started = time.monotonic()
        await service.stop(timeout_s=5)
        assert time.monotonic() - started < 5
        return service.status()

    status = asyncio.run(scenario())
    telegram, mail = status["telegram"], status["email"]
    alerts = len(every_event())
    assert telegram["sent"] == 0 and telegram["failures"] == alerts
    assert telegram["retries"] == alerts  # each tried twice, then given up
    assert str(telegram["last_error"]).startswith("cannot reach Telegram")
    assert mail["sent"] == 0 and mail["failures"] == alerts
    assert "cannot reach SMTP server 127.0.0.1" in str(mail["last_error"])
    assert telegram["last_error_at"] is not None


def test_the_token_never_reaches_logs_or_status(caplog: pytest.LogCaptureFixture) -> None:
    token = "987654:SECRET-token-which-must-not-leak"
    with FakeTelegram(token=token) as tg, smtp_server() as (_, port):
        tg.fail_next(1, status=500)
        settings = alerts_settings(telegram_url=tg.url, token=token, smtp_port=port)

        async def scenario() -> dict[str, object]:
            service = AlertService(settings, tuning={"telegram": FAST, "email": FAST})
            await service.start()
            service.notify(alert(1))
            assert await service.drain(10)
            await service.stop()
            return service.status()

        with caplog.at_level(logging.DEBUG):
            status = asyncio.run(scenario())
        assert tg.texts(CHAT_ID) == [alert(1).text]
    assert "sendMessage" in caplog.text  # httpx logged its requests...
    assert token not in caplog.text  # ...without the token
    assert token not in str(status)
