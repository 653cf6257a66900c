"""Telegram commands act on a real paper session (simulated market, SQLite store) through the
runtime's control surface — from the configured chat only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from alerts_support import CHAT_ID, FAST, OTHER_CHAT, alerts_settings, free_port
from engine_harness import Scripted
from fake_telegram import FakeTelegram
from scalpbot.alerts import AlertService
from scalpbot.data.simulated.feed import SimulatedFeed
from scalpbot.data.simulated.instruments import simulated_instruments
from scalpbot.domain import IST
from scalpbot.engine.engine import EngineSettings
from scalpbot.engine.risk_settings import RiskSettings
from scalpbot.runtime.alerts_wiring import session_alerts
from scalpbot.runtime.session import SessionSpec, StrategySlot, TradingSession
from scalpbot.store import Store

KEY = "NSE:RELIANCE"
Script = Callable[[AlertService, TradingSession], Awaitable[None]]


@contextmanager
def paper_session(tmp_path: Path) -> Iterator[TradingSession]:
    """A session that buys 5 RELIANCE on its first bar, on a simulated market at 200x."""
    strategy = Scripted({0: lambda ctx: ctx.buy(5)})
    spec = SessionSpec(
        mode="paper",
        feed_kind="simulated",
        broker="paper",
        slots=[StrategySlot(strategy, simulated_instruments()[KEY], f"scripted:{KEY}", "s", {})],
        engine_settings=EngineSettings(initial_cash=Decimal(1_000_000)),
        risk=RiskSettings(capital=Decimal(1_000_000)),
        resume_key="alerts-commands",
    )
    start = datetime(2025, 6, 2, 9, 30, tzinfo=IST)
    feed = SimulatedFeed([KEY], seed=3, start=start, speed=200)
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        yield TradingSession(spec, feed, store)
    finally:
        store.close()


def run(
    session: TradingSession, tg: FakeTelegram, script: Script, **options: Any
) -> dict[str, Any]:
    """Run `session` with alerts to `tg` while `script` plays the trader; returns the report."""
    settings = alerts_settings(telegram_url=options.pop("url", tg.url), token=tg.token)

    async def main() -> dict[str, Any]:
        async with session_alerts(
            session, settings, tuning={"telegram": FAST}, poll_timeout_s=1.0, **options
        ) as service:
            assert service is not None
            task = asyncio.create_task(session.run())
            try:
                await script(service, session)
            finally:
                if not task.done():
                    session.request_stop("test over")
                report = await asyncio.wait_for(task, 60)
        return report

    return asyncio.run(main())


async def ask(tg: FakeTelegram, command: str, starts: str, chat: str = CHAT_ID) -> str:
    """Send `command` from `chat`; returns the bot's reply (the first new text with `starts`)."""
    seen = len(tg.texts(CHAT_ID))
    tg.inject(command, chat_id=chat)
    replies = await tg.wait_async(
        lambda: [t for t in tg.texts(CHAT_ID)[seen:] if t.startswith(starts)]
    )
    return str(replies[0])


async def holding(tg: FakeTelegram, session: TradingSession, quantity: int) -> None:
    await tg.wait_async(lambda: session.engine.portfolio.position_quantity(KEY) == quantity)


def test_commands_from_the_configured_chat_act_on_the_session(tmp_path: Path) -> None:
    async def trader(service: AlertService, session: TradingSession) -> None:
        runner = session.engine.runner
        commands = service.commands
        assert commands is not None
        await holding(tg, session, 5)
        # A stranger is ignored: no effect, no reply.
        tg.inject("/pause", chat_id=OTHER_CHAT)
        tg.inject("/stop", chat_id=OTHER_CHAT)
        await tg.wait_async(lambda: commands.ignored == 2)
        assert runner.state == "running"
        assert not any(t.startswith(("⏸", "⏹")) for t in tg.texts())

        assert "no new entries" in await ask(tg, "/pause", "⏸ Paused")
        assert runner.state == "paused"
        again = await ask(tg, "/pause", "Cannot pause")
        assert again == "Cannot pause: cannot pause while paused"
        status = await ask(tg, "/status@scalp_bot", "State:")
        assert status.startswith("State: PAUSED (paused from Telegram)")
        assert "Mode paper · broker paper · feed simulated" in status
        assert "Equity ₹" in status and "Open positions 1" in status
        positions = await ask(tg, "/positions", "Open positions")
        assert "NSE:RELIANCE MIS +5 @ " in positions and "unrealised ₹" in positions
        assert await ask(tg, "/orders", "No working orders") == "No working orders."
        pnl = await ask(tg, "/pnl", "Today")
        assert "Charges ₹" in pnl and "Trades 0" in pnl
        assert "/killswitch" in await ask(tg, "/help", "scalpbot commands")
        assert "Unknown command /fly" in await ask(tg, "/fly", "Unknown")
        await ask(tg, "/resume", "▶️ Resumed")
        assert runner.state == "running"
        await ask(tg, "/stop", "⏹ Stopping the session")
        await tg.wait_async(lambda: session.stop_reason == "stopped from Telegram")

    with FakeTelegram() as tg, paper_session(tmp_path) as session:
        report = run(session, tg, trader)
        last_update = tg.inject("/status", chat_id=CHAT_ID) - 1
        polls = list(tg.polls)
    assert report["status"] == "interrupted"
    # Handled updates were confirmed before shutting down: a restart will not see /stop again.
    assert polls[-1]["offset"] == last_update + 1
    # The order alerts went to the same chat as the replies.
    texts = tg.texts(CHAT_ID)
    assert any(t.startswith("✅ FILLED BUY 5 NSE:RELIANCE @ ") for t in texts)
    assert tg.texts(OTHER_CHAT) == []


def test_killswitch_needs_a_timely_confirm_from_the_same_chat(tmp_path: Path) -> None:
    async def trader(service: AlertService, session: TradingSession) -> None:
        runner = session.engine.runner
        await holding(tg, session, 5)
        assert (await ask(tg, "/confirm", "Nothing to confirm")).startswith("Nothing")
        # Armed, but the window passes.
        await ask(tg, "/killswitch", "⚠️ Reply /confirm within 1 s")
        await asyncio.sleep(1.2)
        await ask(tg, "/confirm", "Nothing to confirm")
        assert runner.state == "running"
        # Armed from here, confirmed by a stranger: nothing happens.
        await ask(tg, "/killswitch", "⚠️ Reply /confirm")
        tg.inject("/confirm", chat_id=OTHER_CHAT)
        commands = service.commands
        assert commands is not None
        await tg.wait_async(lambda: commands.ignored == 1)
        assert runner.state == "running"
        assert session.engine.portfolio.position_quantity(KEY) == 5
        # The trader's own confirm, in time.
        done = await ask(tg, "/confirm", "🆘 Emergency stop done")
        assert "positions flattened" in done
        assert runner.state == "halted"
        await holding(tg, session, 0)
        await tg.wait_async(
            lambda: any(
                t.startswith("🆘 Emergency stop: kill switch from Telegram")
                for t in tg.texts(CHAT_ID)
            )
        )

    with FakeTelegram() as tg, paper_session(tmp_path) as session:
        report = run(session, tg, trader, confirm_window_s=1.0)
    assert report["status"] == "interrupted"
    (trade,) = report["trades"]
    assert trade["quantity"] == 5


def test_commands_sent_before_the_bot_started_are_not_obeyed(tmp_path: Path) -> None:
    async def trader(service: AlertService, session: TradingSession) -> None:
        commands = service.commands
        assert commands is not None
        await holding(tg, session, 5)
        await tg.wait_async(lambda: commands.ignored == 1)
        assert session.engine.runner.state == "running"
        assert not session.stop_reason

    with FakeTelegram() as tg, paper_session(tmp_path) as session:
        tg.inject("/stop", chat_id=CHAT_ID, date=time.time() - 3600)  # typed last night
        report = run(session, tg, trader)
    assert report["status"] == "interrupted"
    assert session.stop_reason == "test over"


def test_polling_survives_a_dead_server_and_picks_up_when_it_returns(tmp_path: Path) -> None:
    port = free_port()
    tg = FakeTelegram(port=port)  # not started: connections are refused

    async def trader(service: AlertService, session: TradingSession) -> None:
        commands = service.commands
        assert commands is not None
        await holding(tg, session, 5)  # the session trades on regardless
        await tg.wait_async(lambda: commands.poll_errors >= 2)
        tg.start()
        status = await ask(tg, "/status", "State:")
        assert status.startswith("State: RUNNING")
        assert service.status()["telegram"]["commands"]["last_poll_error"].startswith(
            "cannot reach Telegram"
        )

    try:
        with paper_session(tmp_path) as session:
            report = run(session, tg, trader, url=f"http://127.0.0.1:{port}")
    finally:
        tg.stop()
    assert report["status"] == "interrupted"
