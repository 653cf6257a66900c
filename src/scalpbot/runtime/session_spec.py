"""What a trading session runs: its strategies on their instruments, and its settings.

Kept apart from the session itself so factories (config → spec) and tests can build one
without the running machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scalpbot.domain import Instrument
from scalpbot.engine.engine import EngineSettings
from scalpbot.engine.risk_settings import RiskSettings
from scalpbot.engine.session_rules import SessionRules
from scalpbot.strategies.base import Strategy


@dataclass(slots=True)
class StrategySlot:
    strategy: Strategy
    instrument: Instrument
    strategy_id: str
    spec: str
    params: dict[str, Any]


@dataclass(slots=True)
class SessionSpec:
    mode: str
    feed_kind: str
    broker: str
    slots: list[StrategySlot]
    engine_settings: EngineSettings
    risk: RiskSettings
    charges: str = "zerodha"
    timeframe_minutes: int = 1
    square_off: bool = True
    cancel_orders_on_stop: bool = True
    resume_key: str = ""
    data_source: str | None = None
    session_rules: SessionRules | None = None  # None: the exchange calendar's
    config_snapshot: dict[str, Any] = field(default_factory=dict)
