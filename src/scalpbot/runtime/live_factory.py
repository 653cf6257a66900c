"""Every kind of session from settings: paper on simulated or replayed data, paper on a real
broker's market data, and live trading through a real broker.

`build_parts` decides; `open_session` builds the `TradingSession` (or `LiveTradingSession`) the
CLI and the dashboard's session manager run. Paper sessions on our own data are built by
`factory.build_spec`; this module adds what needs a broker adapter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from scalpbot.config import Settings
from scalpbot.data.feeds import Feed
from scalpbot.domain import IST, Bar, Broker, ConfigError, Instrument, Order, Tick
from scalpbot.engine.risk_settings import RiskSettings
from scalpbot.runtime.broker_access import (
    LIVE_BROKERS,
    broker_for_session,
    require_live_broker,
    with_broker,
)
from scalpbot.runtime.broker_feed import BrokerFeed
from scalpbot.runtime.broker_gateway import BrokerGateway
from scalpbot.runtime.factory import (
    FEEDS,
    TIMEFRAMES,
    RunOptions,
    build_spec,
    engine_settings_for,
    make_resume_key,
    strategy_slots,
)
from scalpbot.runtime.live_session import LiveTradingSession
from scalpbot.runtime.session import SessionSpec, StatusSink, TradingSession
from scalpbot.store import Store


@dataclass(slots=True)
class SessionParts:
    spec: SessionSpec
    feed: Feed
    broker: Broker | None = None  # set when a real broker is involved
    gateway: BrokerGateway | None = None  # set for live trading


class _TicksOnly:
    """Stream handler of a paper session on a broker's data: ticks to the feed, orders ignored
    (the paper exchange fills them; the real account is never touched)."""

    def __init__(self, feed: BrokerFeed) -> None:
        self.feed = feed

    def on_ticks(self, ticks: list[Tick]) -> None:
        self.feed.push(ticks)

    def on_order(self, order: Order) -> None:
        return None

    def on_status(self, connected: bool, message: str) -> None:
        self.feed.on_status(connected, message)


def build_parts(settings: Settings, options: RunOptions, home: Path) -> SessionParts:
    mode = options.mode or settings.trading.mode
    name = options.broker or settings.broker.name
    if options.feed not in FEEDS:
        raise ConfigError(f"--feed {options.feed!r}: allowed: {', '.join(FEEDS)}")
    if mode == "live":
        require_live_broker(name)
        return _live(settings, options, home, name)
    if options.feed == "broker" and name in LIVE_BROKERS:
        return _paper_on_broker_data(settings, options, home, name)
    paper = dataclasses.replace(options, mode="paper", broker="paper")
    spec, feed = build_spec(settings, paper)
    return SessionParts(spec, feed)


def _connect(settings: Settings, home: Path, name: str) -> tuple[Any, dict[str, Instrument]]:
    broker: Any = broker_for_session(with_broker(settings, name), home)
    instruments = {key: broker.instrument(key) for key in settings.trading.symbols}
    return broker, instruments


def _risk(settings: Settings) -> RiskSettings:
    risk = settings.risk.to_risk_settings(settings.trading.capital)
    if settings.trading.market_hours == "always":
        risk = dataclasses.replace(
            risk, enforce_market_hours=False, enforce_square_off=False, price_band_pct=None
        )
    return risk


def _spec(
    settings: Settings,
    options: RunOptions,
    *,
    mode: str,
    broker: str,
    instruments: dict[str, Instrument],
) -> SessionSpec:
    slots = strategy_slots(settings, options, instruments)
    timeframe = TIMEFRAMES[settings.trading.timeframe]
    day = datetime.now(IST).date().isoformat()  # a live session is one trading day
    key = make_resume_key(
        {
            "mode": mode,
            "feed": "broker",
            "broker": broker,
            "day": day,
            "timeframe": timeframe,
            "strategies": [(s.spec, s.params, s.instrument.key) for s in slots],
            "capital": str(settings.trading.capital),
        }
    )
    return SessionSpec(
        mode=mode,
        feed_kind="broker",
        broker=broker,
        slots=slots,
        engine_settings=engine_settings_for(settings),
        risk=_risk(settings),
        charges=options.charges,
        timeframe_minutes=timeframe,
        square_off=settings.trading.market_hours == "exchange",
        cancel_orders_on_stop=settings.trading.cancel_orders_on_stop,
        resume_key=key,
        data_source=f"{broker}:stream",
        config_snapshot={"trading": settings.trading.model_dump(mode="json")},
    )


def _live(settings: Settings, options: RunOptions, home: Path, name: str) -> SessionParts:
    broker, instruments = _connect(settings, home, name)
    spec = _spec(settings, options, mode="live", broker=name, instruments=instruments)
    feed = _feed(broker, instruments, spec.timeframe_minutes)
    gateway = BrokerGateway(broker)
    feed.attach(broker.stream(gateway))
    return SessionParts(spec, feed, broker, gateway)


def _feed(broker: Broker, instruments: dict[str, Instrument], minutes: int) -> BrokerFeed:
    """The broker's stream of `instruments`, with gaps after a dropped connection filled from
    the broker's candles of the session's timeframe."""
    interval = "minute" if minutes == 1 else f"{minutes}minute"

    def history(key: str, start: datetime, end: datetime) -> Sequence[Bar]:
        instrument = instruments[key]
        return broker.get_historical_data(
            instrument.symbol, instrument.exchange.value, interval, start, end
        )

    return BrokerFeed(list(instruments), history=history)


def _paper_on_broker_data(
    settings: Settings, options: RunOptions, home: Path, name: str
) -> SessionParts:
    broker, instruments = _connect(settings, home, name)
    spec = _spec(settings, options, mode="paper", broker="paper", instruments=instruments)
    spec.data_source = f"{name}:stream"
    feed = _feed(broker, instruments, spec.timeframe_minutes)
    feed.attach(broker.stream(_TicksOnly(feed)))
    return SessionParts(spec, feed, broker)


def open_session(
    parts: SessionParts,
    store: Store,
    *,
    resume: bool = False,
    status: StatusSink | None = None,
    status_interval_s: float = 1.0,
) -> TradingSession:
    """The session for `parts`: live when it has a gateway, paper otherwise."""
    if parts.gateway is not None and parts.broker is not None:
        return LiveTradingSession(
            parts.spec,
            parts.feed,
            store,
            parts.broker,
            resume=resume,
            status=status,
            status_interval_s=status_interval_s,
            gateway=parts.gateway,
        )
    return TradingSession(
        parts.spec,
        parts.feed,
        store,
        resume=resume,
        status=status,
        status_interval_s=status_interval_s,
    )
