"""Alerts around whole sessions: dead channels change nothing about the trading, a stalled feed
is reported down and then up, and a session dying of an error says so."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from alerts_support import CHAT_ID, FAST, alerts_settings, free_port
from engine_harness import Scripted
from fake_telegram import FakeTelegram
from scalpbot.config import AlertsSettings
from scalpbot.data.feeds import ReplayFeed
from scalpbot.data.simulated.feed import SimulatedFeed
from scalpbot.data.simulated.instruments import simulated_instruments
from scalpbot.domain import IST, datetime_to_ns
from scalpbot.engine.bus import EventBus
from scalpbot.engine.engine import EngineSettings
from scalpbot.engine.events import FeedStatusEvent
from scalpbot.engine.risk_settings import RiskSettings
from scalpbot.runtime.alerts_wiring import session_alerts
from scalpbot.runtime.feed_watchdog import FeedWatchdog, feed_timeout_s
from scalpbot.runtime.session import SessionSpec, StrategySlot, TradingSession
from scalpbot.store import Store

KEY = "NSE:RELIANCE"
START = datetime(2025, 6, 2, 9, 30, tzinfo=IST)


class StopAt:
    def __init__(self, until: datetime) -> None:
        self.until_ns = datetime_to_ns(until)

    def __call__(self, session: TradingSession) -> None:
        if session.clock.ts >= self.until_ns:
            session.request_stop("test over")


class StallOnce:
    """A feed's sleep that hangs once, for `stall_s` wall seconds, at its `at`-th call."""

    def __init__(self, at: int, stall_s: float) -> None:
        self.at, self.stall_s, self.calls = at, stall_s, 0

    async def __call__(self, seconds: float) -> None:
        self.calls += 1
        await asyncio.sleep(self.stall_s if self.calls == self.at else seconds)


@contextmanager
def session_on(
    tmp_path: Path, name: str, feed: SimulatedFeed, until: datetime
) -> Iterator[TradingSession]:
    strategy = Scripted(
        {
            0: lambda ctx: ctx.buy(5),
            10: lambda ctx: ctx.close(),
            20: lambda ctx: ctx.sell(3),
            30: lambda ctx: ctx.close(),
        }
    )
    spec = SessionSpec(
        mode="paper",
        feed_kind="simulated",
        broker="paper",
        slots=[StrategySlot(strategy, simulated_instruments()[KEY], f"scripted:{KEY}", "s", {})],
        engine_settings=EngineSettings(initial_cash=Decimal(1_000_000)),
        risk=RiskSettings(capital=Decimal(1_000_000)),
        resume_key=name,
    )
    store = Store.open(f"sqlite:///{tmp_path / (name + '.sqlite')}")
    try:
        yield TradingSession(spec, feed, store, status=StopAt(until), status_interval_s=0)
    finally:
        store.close()


def test_dead_channels_leave_the_trading_exactly_as_without_alerts(tmp_path: Path) -> None:
    until = datetime(2025, 6, 2, 10, 15, tzinfo=IST)

    def feed() -> SimulatedFeed:
        return SimulatedFeed([KEY], seed=5, start=START, speed=None)

    with session_on(tmp_path, "plain", feed(), until) as session:
        plain = asyncio.run(session.run())

    dead = alerts_settings(
        telegram_url=f"http://127.0.0.1:{free_port()}",
        token="123:dead-token-abcdefghijkl",
        smtp_port=free_port(),
    )
    status: dict[str, Any] = {}

    async def with_dead_alerts(session: TradingSession) -> dict[str, Any]:
        async with session_alerts(
            session, dead, tuning={"telegram": FAST, "email": FAST}, stop_timeout_s=1.0
        ) as service:
            assert service is not None
            report = await session.run()
            await asyncio.sleep(0.5)  # let the senders try and fail a few times
            status.update(service.status())
        return report

    with session_on(tmp_path, "dead", feed(), until) as session:
        alerted = asyncio.run(with_dead_alerts(session))

    assert len(plain["trades"]) == 2
    assert alerted["trades"] == plain["trades"]
    assert alerted["final_equity"] == plain["final_equity"]
    assert status["telegram"]["sent"] == 0 and status["telegram"]["retries"] > 0
    assert status["email"]["sent"] == 0 and status["email"]["retries"] > 0
    assert status["telegram"]["last_error"].startswith("cannot reach Telegram")


def test_a_stalled_feed_is_reported_down_and_back_up(tmp_path: Path) -> None:
    feed = SimulatedFeed([KEY], seed=5, start=START, speed=200, sleep=StallOnce(100, 1.5))
    until = datetime(2025, 6, 2, 9, 33, tzinfo=IST)
    with FakeTelegram() as tg, session_on(tmp_path, "stall", feed, until) as session:
        settings = alerts_settings(telegram_url=tg.url, token=tg.token)

        async def main() -> None:
            async with session_alerts(
                session, settings, tuning={"telegram": FAST}, watchdog_timeout_s=0.3
            ):
                await session.run()

        asyncio.run(main())
        feed_texts = [t for t in tg.texts(CHAT_ID) if t.startswith("📡")]
    assert len(feed_texts) == 2, feed_texts
    assert feed_texts[0].startswith("📡 Market data DOWN: no market data for 0.")
    assert feed_texts[1].startswith("📡 Market data back up: events flowing again after 1.")


def test_a_session_ending_in_an_error_says_so(tmp_path: Path) -> None:
    feed = SimulatedFeed([KEY], seed=5, start=START, speed=200)
    with FakeTelegram() as tg, session_on(tmp_path, "boom", feed, START) as session:
        settings = alerts_settings(telegram_url=tg.url, token=tg.token)

        async def main() -> None:
            async with session_alerts(session, settings, tuning={"telegram": FAST}):
                raise RuntimeError("store unreachable")

        with pytest.raises(RuntimeError):
            asyncio.run(main())
        texts = tg.texts(CHAT_ID)
    assert texts == [f"💥 Session {session.session_id} ended by an error: store unreachable"]


def test_no_channel_enabled_means_no_service_but_the_watchdog_runs(tmp_path: Path) -> None:
    feed = SimulatedFeed([KEY], seed=5, start=START, speed=200, sleep=StallOnce(50, 1.0))
    until = datetime(2025, 6, 2, 9, 32, tzinfo=IST)
    seen: list[FeedStatusEvent] = []
    with session_on(tmp_path, "quiet", feed, until) as session:
        session.engine.bus.subscribe(FeedStatusEvent, seen.append)

        async def main() -> None:
            async with session_alerts(session, AlertsSettings(), watchdog_timeout_s=0.3) as svc:
                assert svc is None
                await session.run()

        asyncio.run(main())
    assert [e.up for e in seen] == [False, True]
    assert seen[0].ts > 0  # stamped with the session's clock


def test_the_watchdog_follows_the_event_count() -> None:
    bus = EventBus()
    seen: list[FeedStatusEvent] = []
    bus.subscribe(FeedStatusEvent, seen.append)
    count = [0]

    async def main() -> None:
        watchdog = FeedWatchdog(bus, lambda: count[0], lambda: 7, timeout_s=0.2)
        watchdog.start()
        await asyncio.sleep(0.1)
        count[0] += 1  # flowing
        await asyncio.sleep(0.15)
        assert seen == []
        await asyncio.sleep(0.3)  # silent for longer than the timeout
        assert [e.up for e in seen] == [False]
        await asyncio.sleep(0.3)  # still silent: said once
        count[0] += 1
        await asyncio.sleep(0.15)
        await watchdog.stop()

    asyncio.run(main())
    assert [(e.up, e.ts) for e in seen] == [(False, 7), (True, 7)]


def test_the_timeout_allows_for_the_feeds_own_pace(tmp_path: Path) -> None:
    assert feed_timeout_s(SimulatedFeed([KEY], start=START, speed=1)) == 30.0
    assert feed_timeout_s(SimulatedFeed([KEY], start=START, speed=0.05)) == 60.0  # 20 s a tick
    assert feed_timeout_s(SimulatedFeed([KEY], start=START, speed=None)) == 30.0
    csv = tmp_path / "bars.csv"
    csv.write_text(
        "datetime,open,high,low,close,volume\n"
        "2025-06-02 09:15:00,10,11,9,10.5,100\n"
        "2025-06-02 09:16:00,10.5,11,10,10.8,100\n"
    )
    assert feed_timeout_s(ReplayFeed.from_file(csv, "NSE:X", speed=1)) == 180.0
    assert feed_timeout_s(ReplayFeed.from_file(csv, "NSE:X", speed=60)) == 30.0
