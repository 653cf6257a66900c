"""From settings and command-line choices to a ready `TradingSession`.

This is the one place that chooses concrete parts: which feed, which instruments, which
strategies on which instruments, which risk limits. Replayed files may come from anywhere and
any hours, so a replay turns off the NSE-hours rules (market hours, square-off, price band) —
exactly as a backtest does, which is what makes a replay and a backtest of the same file agree.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from scalpbot.config import Settings
from scalpbot.data import load_bars
from scalpbot.data.feeds import Feed, ReplayFeed
from scalpbot.data.simulated.feed import SimulatedFeed
from scalpbot.data.simulated.instruments import simulated_instruments
from scalpbot.domain import (
    ConfigError,
    Exchange,
    Instrument,
    InstrumentType,
    Product,
    parse_enum,
)
from scalpbot.engine.engine import EngineSettings
from scalpbot.runtime.session import SessionSpec, StrategySlot
from scalpbot.runtime.sim_rules import simulated_session_rules
from scalpbot.strategies import create_strategy

FEEDS = ("replay", "simulated", "broker")
TIMEFRAMES = {"1m": 1, "3m": 3, "5m": 5, "15m": 15}


@dataclass(slots=True)
class RunOptions:
    """What `scalpbot run` was asked for, on top of the settings."""

    strategy: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    mode: str | None = None
    broker: str | None = None
    feed: str = "simulated"
    data: str | None = None
    speed: float | None = 1.0  # None: as fast as possible
    symbol: str | None = None
    exchange: str = "NSE"
    instrument_type: str = "EQ"
    tick_size: str = "0.01"
    lot_size: int = 1
    seed: int = 7
    start: datetime | None = None
    charges: str = "zerodha"


def build_spec(settings: Settings, options: RunOptions) -> tuple[SessionSpec, Feed]:
    mode = options.mode or settings.trading.mode
    broker = options.broker or settings.broker.name
    if options.feed not in FEEDS:
        raise ConfigError(f"--feed {options.feed!r}: allowed: {', '.join(FEEDS)}")
    if mode == "live" or broker != "paper":
        raise ConfigError(
            f"a {mode} session with broker {broker!r} is built by build_parts(), which knows "
            "the live adapters; build_spec() builds paper sessions on the paper broker"
        )
    feed_kind = "simulated" if options.feed == "broker" else options.feed
    if feed_kind == "replay":
        feed, instruments, source = _replay(options)
    else:
        feed, instruments, source = _simulated(settings, options)
    slots = strategy_slots(settings, options, instruments)
    risk = settings.risk.to_risk_settings(settings.trading.capital)
    if feed_kind == "replay":
        risk = dataclasses.replace(
            risk, enforce_market_hours=False, enforce_square_off=False, price_band_pct=None
        )
    engine_settings = engine_settings_for(settings)
    timeframe = TIMEFRAMES[settings.trading.timeframe]
    key_material = {
        "mode": mode,
        "feed": feed_kind,
        "source": source,
        "timeframe": timeframe,
        "strategies": [(s.spec, s.params, s.instrument.key) for s in slots],
        "capital": str(settings.trading.capital),
        "charges": options.charges,
    }
    resume_key = make_resume_key(key_material)
    spec = SessionSpec(
        mode=mode,
        feed_kind=feed_kind,
        broker=broker,
        slots=slots,
        engine_settings=engine_settings,
        risk=risk,
        charges=options.charges,
        timeframe_minutes=timeframe,
        square_off=feed_kind != "replay",
        cancel_orders_on_stop=settings.trading.cancel_orders_on_stop,
        resume_key=resume_key,
        data_source=source,
        config_snapshot={"trading": settings.trading.model_dump(mode="json")},
        session_rules=simulated_session_rules() if feed_kind == "simulated" else None,
    )
    return spec, feed


def make_resume_key(material: dict[str, Any]) -> str:
    """Short stable digest of what makes two sessions the same session (for `--resume`)."""
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[
        :32
    ]


def engine_settings_for(settings: Settings) -> EngineSettings:
    return EngineSettings(
        initial_cash=Decimal(settings.trading.capital),
        product=parse_enum(Product, settings.trading.product),
        default_lots=settings.trading.quantity,
    )


def _replay(options: RunOptions) -> tuple[Feed, dict[str, Instrument], str]:
    if not options.data:
        raise ConfigError("--feed replay needs --data FILE")
    path = Path(options.data)
    series = load_bars(path)
    try:
        tick = Decimal(options.tick_size)
    except ArithmeticError as exc:
        raise ConfigError(f"--tick-size {options.tick_size!r} is not a number") from exc
    instrument = Instrument(
        parse_enum(Exchange, options.exchange),
        (options.symbol or path.stem).upper(),
        parse_enum(InstrumentType, options.instrument_type),
        tick_size=tick,
        lot_size=options.lot_size,
    )
    feed = ReplayFeed(series, instrument.key, speed=options.speed)
    stat = path.stat()
    source = f"{path.resolve()}:{stat.st_size}"
    return feed, {instrument.key: instrument}, source


def _simulated(settings: Settings, options: RunOptions) -> tuple[Feed, dict[str, Instrument], str]:
    available = simulated_instruments()
    wanted = list(settings.trading.symbols)
    unknown = [key for key in wanted if key not in available]
    if unknown:
        raise ConfigError(
            f"trading.symbols: {', '.join(unknown)} not in the simulated market; it has "
            f"{', '.join(sorted(available))}"
        )
    feed = SimulatedFeed(
        wanted,
        seed=options.seed,
        start=options.start,
        speed=options.speed if options.speed is not None else float("inf"),
    )
    start = getattr(feed, "start", options.start)
    source = f"simulated:seed={options.seed}:start={start}"
    return feed, {key: available[key] for key in wanted}, source


def strategy_slots(
    settings: Settings, options: RunOptions, instruments: dict[str, Instrument]
) -> list[StrategySlot]:
    plan: list[tuple[str, dict[str, Any], list[str], str | None]]
    if options.strategy:
        plan = [(options.strategy, dict(options.params), list(instruments), None)]
    else:
        plan = [
            (s.name, dict(s.params), list(s.symbols) or list(instruments), s.id)
            for s in settings.trading.strategies
        ]
    slots: list[StrategySlot] = []
    for spec, params, keys, given_id in plan:
        for key in keys:
            if key not in instruments:
                raise ConfigError(f"strategy {spec!r}: symbol {key} is not traded in this session")
            strategy = create_strategy(spec, params)
            base = given_id or strategy.strategy_name()
            slots.append(
                StrategySlot(strategy, instruments[key], f"{base}:{key}", spec, strategy.params)
            )
    if not slots:
        raise ConfigError("no strategy to run: pass --strategy or set trading.strategies")
    return slots
