"""The position tracker: positions, cash, charges, realised and unrealised P&L, exposure.

P&L comes only from fills (never patched). Every fill is charged by the one charges model:
the charges of a day's orders in an instrument are recomputed by the published formulas after
each fill and the fill carries the increase, so per-fill charges always add up to what a
contract note for those orders would show (brokerage per executed order, STT rounded, ...).

Marking to market happens once per bar with plain floats (a backtest marks a million times);
Decimal views are built only when someone asks for a position.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from scalpbot.domain import Fill, Position, Product, Side, TradeRecord, ns_to_datetime
from scalpbot.engine.trades import TradeTracker
from scalpbot.market.charges import ChargesModel, NoCharges, segment_for
from scalpbot.market.ticks import to_decimal

ZERO = Decimal(0)


@dataclasses.dataclass(slots=True)
class _DayLedger:
    """One day's executed orders in one instrument and product, and what they were charged."""

    orders: dict[str, tuple[Side, Decimal]] = dataclasses.field(default_factory=dict)
    charged: Decimal = ZERO


class Portfolio:
    def __init__(self, initial_cash: Decimal, charges_model: ChargesModel) -> None:
        self.initial_cash = initial_cash
        self.cash = initial_cash
        self.charges_model = charges_model
        self._charge_free = isinstance(charges_model, NoCharges)
        self.total_charges = ZERO
        self.realised_pnl = ZERO
        self.trades: list[TradeRecord] = []
        self._positions: dict[str, Position] = {}
        self._last: dict[str, float] = {}
        self._ledgers: dict[tuple[date, str, Product], _DayLedger] = {}
        self._tracker = TradeTracker()
        self._cash_float = float(initial_cash)
        self._open_qty: dict[str, int] = {}  # non-flat positions only, for the per-bar mark
        self.day_start_equity = initial_cash
        self.peak_equity = initial_cash
        self._peak_float = float(initial_cash)

    # -- fills ---------------------------------------------------------------------------
    def apply_fill(self, fill: Fill) -> tuple[Fill, TradeRecord | None]:
        """Book `fill`: charge it, move the position and cash; returns the charged fill and
        the trade it closed, if any."""
        if self._charge_free:
            charges = ZERO
        else:
            charges = self._charge(fill)
            fill = dataclasses.replace(fill, charges=charges)
        key = fill.instrument.key
        position = self._positions.get(key)
        if position is None:
            position = Position(fill.instrument, product=fill.product)
            self._positions[key] = position
        before = position.quantity
        realised = position.apply_fill(fill.side, fill.quantity, fill.price, fill.ts)
        position.charges += charges
        self.realised_pnl += realised
        self.total_charges += charges
        self.cash -= fill.price * fill.quantity * fill.side.sign + charges
        self._cash_float = float(self.cash)
        if position.quantity:
            self._open_qty[key] = position.quantity
        else:
            self._open_qty.pop(key, None)
        self._last[key] = float(fill.price) if key not in self._last else self._last[key]
        trade = self._tracker.on_fill(fill, before, realised)
        if trade is not None:
            self.trades.append(trade)
        return fill, trade

    def _charge(self, fill: Fill) -> Decimal:
        trade_date = ns_to_datetime(fill.ts).date()
        ledger_key = (trade_date, fill.instrument.key, fill.product)
        ledger = self._ledgers.get(ledger_key)
        if ledger is None:
            ledger = self._ledgers[ledger_key] = _DayLedger()
            self._forget_old_ledgers(trade_date)
        side, turnover = ledger.orders.get(fill.client_order_id, (fill.side, ZERO))
        ledger.orders[fill.client_order_id] = (side, turnover + fill.value)
        segment = segment_for(fill.instrument, fill.product)
        total = self.charges_model.compute(
            segment, fill.instrument.exchange, list(ledger.orders.values()), trade_date
        ).total
        increase = total - ledger.charged
        ledger.charged = total
        return increase

    def _forget_old_ledgers(self, today: date) -> None:
        for key in [k for k in self._ledgers if k[0] < today]:
            del self._ledgers[key]

    # -- marking ---------------------------------------------------------------------------
    def mark(self, instrument_key: str, price: float) -> None:
        self._last[instrument_key] = price

    def equity_float(self) -> float:
        """Cash plus the market value of open positions at the last marks (fast, float)."""
        equity = self._cash_float
        if self._open_qty:
            last = self._last
            for key, quantity in self._open_qty.items():
                equity += quantity * last[key]
        return equity

    def update_peak(self) -> float:
        """Mark the equity high-water mark (for drawdown limits); returns current equity."""
        equity = self._cash_float
        if self._open_qty:
            last = self._last
            for key, quantity in self._open_qty.items():
                equity += quantity * last[key]
        if equity > self._peak_float:
            self._peak_float = equity
            self.peak_equity = to_decimal(equity)
        return equity

    def equity(self) -> Decimal:
        equity = self.cash
        for key, quantity in self._open_qty.items():
            equity += quantity * to_decimal(self._last[key])
        return equity

    def start_day(self) -> None:
        """Begin a trading day: today's P&L is measured from the equity now."""
        self.day_start_equity = self.equity()

    @property
    def day_pnl(self) -> Decimal:
        return self.equity() - self.day_start_equity

    # -- views -------------------------------------------------------------------------------
    def position_quantity(self, instrument_key: str) -> int:
        return self._open_qty.get(instrument_key, 0)

    def open_position_count(self) -> int:
        return len(self._open_qty)

    def has_open_positions(self) -> bool:
        return bool(self._open_qty)

    def last_price(self, instrument_key: str) -> float | None:
        return self._last.get(instrument_key)

    def position(self, instrument_key: str) -> Position | None:
        """The position with its last price refreshed, or None if never traded."""
        position = self._positions.get(instrument_key)
        if position is not None and instrument_key in self._last:
            position.last_price = to_decimal(self._last[instrument_key])
        return position

    def positions(self) -> Iterator[Position]:
        for key in self._positions:
            position = self.position(key)
            if position is not None:
                yield position

    def open_trade_entry(self, instrument_key: str) -> tuple[int, Decimal] | None:
        """(entry time, average entry price) of the round trip now open in an instrument."""
        trade = self._tracker.open_trade(instrument_key)
        if trade is None or not trade.entry_quantity:
            return None
        return trade.entry_ts, trade.entry_value / trade.entry_quantity

    def exposure(self) -> Decimal:
        return sum((abs(p.exposure) for p in self.positions()), ZERO)

    def unrealised_pnl(self) -> Decimal:
        return sum((p.unrealised_pnl for p in self.positions()), ZERO)
