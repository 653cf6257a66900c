"""Events the engine publishes on its bus for the store, the dashboard and alerts.

Bars and ticks travel as the domain `Bar` and `Tick` themselves; these wrap everything else.
They are small frozen records so a subscriber can keep them without copying.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scalpbot.domain import Fill, Order, Position, TradeRecord


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An order changed: created, sent, accepted, modified, cancelled, rejected, filled."""

    order: Order
    ts: int


@dataclass(frozen=True, slots=True)
class FillEvent:
    fill: Fill
    ts: int


@dataclass(frozen=True, slots=True)
class PositionEvent:
    position: Position
    ts: int


@dataclass(frozen=True, slots=True)
class TradeClosedEvent:
    trade: TradeRecord
    ts: int


@dataclass(frozen=True, slots=True)
class RiskRejectedEvent:
    """The risk manager refused an order; `code` names the rule (e.g. "daily_loss_limit")."""

    strategy_id: str
    instrument_key: str
    code: str
    message: str
    ts: int


@dataclass(frozen=True, slots=True)
class StrategyStateEvent:
    """A strategy runner moved between states (running, paused, stopped, halted)."""

    state: str
    reason: str
    ts: int


@dataclass(frozen=True, slots=True)
class ExitTriggeredEvent:
    """A managed exit fired: "stop", "target" or "trailing" for the entry `parent_id`."""

    parent_id: str
    kind: str
    price: Decimal
    ts: int


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """An error the engine caught and survived (e.g. a strategy's exception)."""

    source: str
    message: str
    ts: int


@dataclass(frozen=True, slots=True)
class FeedStatusEvent:
    """The market-data feed went down (`up=False`) or came back (`up=True`)."""

    up: bool
    message: str
    ts: int


@dataclass(frozen=True, slots=True)
class BrokerSessionEvent:
    """The broker session expired or needs a login (`valid=False`), or is valid again."""

    broker: str
    valid: bool
    message: str
    ts: int


@dataclass(frozen=True, slots=True)
class DailySummaryEvent:
    """After the close: the day's closed trades and P&L (gross and net of charges)."""

    day: str  # ISO date, IST
    trades: int
    wins: int
    gross_pnl: Decimal
    charges: Decimal
    net_pnl: Decimal
    ts: int

    @property
    def win_rate(self) -> float | None:
        return None if self.trades == 0 else 100.0 * self.wins / self.trades
