"""The words of each alert: short enough to read on a lock screen, with the numbers that matter.

    ✅ FILLED BUY 10 NSE:RELIANCE @ 1,412.50 (trend:NSE:RELIANCE)
    ⛔ Risk: daily_loss_limit — daily loss limit reached: ...
    🧾 Daily summary 2025-06-02: 7 trades, win rate 57%, gross ₹1,240.00, charges ₹310.40, ...

Amounts of money are exact Decimals shown with ₹, two decimals and thousands separators;
prices keep their tick's precision (two to four decimals).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from scalpbot.domain import Order, OrderType, ns_to_datetime
from scalpbot.engine.events import (
    BrokerSessionEvent,
    DailySummaryEvent,
    ErrorEvent,
    ExitTriggeredEvent,
    FeedStatusEvent,
    RiskRejectedEvent,
    StrategyStateEvent,
)

PAISA = Decimal("0.01")


def rupees(value: Decimal | str | float | int) -> str:
    """Money as "₹1,240.00" ("-₹310.40" when negative), rounded half-up to the paisa."""
    try:
        amount = Decimal(str(value)).quantize(PAISA, ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}₹{abs(amount):,.2f}"


def price_text(value: Decimal | str | float | None) -> str:
    """A price with its tick's decimals (2 to 4) and thousands separators: "1,412.50"."""
    if value is None:
        return "-"
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    exponent = price.normalize().as_tuple().exponent
    places = min(4, max(2, -exponent)) if isinstance(exponent, int) else 2
    return f"{price:,.{places}f}"


def session_time(ts_ns: int) -> str:
    """The event's session time as IST text, "" before the clock has been set."""
    if ts_ns <= 0:
        return ""
    return ns_to_datetime(ts_ns).strftime("%Y-%m-%d %H:%M:%S IST")


def _who(order: Order) -> str:
    parts = [order.role] if order.role and order.role != "entry" else []
    if order.strategy_id:
        parts.append(order.strategy_id)
    return f" ({', '.join(parts)})" if parts else ""


def _order_terms(order: Order) -> str:
    kind = order.order_type
    if kind is OrderType.LIMIT:
        return f"LIMIT @ {price_text(order.price)}"
    if kind is OrderType.SL_M:
        return f"SL-M trigger {price_text(order.trigger_price)}"
    if kind is OrderType.SL:
        return f"SL trigger {price_text(order.trigger_price)} limit {price_text(order.price)}"
    return "MARKET"


def order_placed_text(order: Order) -> str:
    return (
        f"📝 PLACED {order.side.value} {order.quantity} {order.instrument.key} "
        f"{_order_terms(order)}{_who(order)}"
    )


def order_filled_text(order: Order) -> str:
    return (
        f"✅ FILLED {order.side.value} {order.filled_quantity or order.quantity} "
        f"{order.instrument.key} @ {price_text(order.average_price)}{_who(order)}"
    )


def order_rejected_text(order: Order) -> str:
    reason = f": {order.reason}" if order.reason else ""
    return (
        f"❌ REJECTED {order.side.value} {order.quantity} {order.instrument.key} "
        f"{_order_terms(order)}{reason}{_who(order)}"
    )


def exit_text(event: ExitTriggeredEvent, instrument: str | None, strategy_id: str | None) -> str:
    """A managed exit fired; `instrument` and `strategy_id` of its entry when known."""
    what = {"stop": "🛑 Stop-loss hit", "trailing": "🛑 Trailing stop hit"}.get(
        event.kind, "🎯 Target hit"
    )
    where = f" {instrument}" if instrument else ""
    who = f", {strategy_id}" if strategy_id else ""
    return f"{what}{where} @ {price_text(event.price)} (entry {event.parent_id}{who})"


def risk_text(event: RiskRejectedEvent) -> str:
    breaker = event.code == "circuit_breaker"
    head = "🚨 Circuit breaker" if breaker else f"⛔ Risk: {event.code}"
    return f"{head} — {event.message} ({event.strategy_id}, {event.instrument_key})"


def emergency_stop_text(event: StrategyStateEvent) -> str:
    reason = f": {event.reason}" if event.reason else ""
    return (
        f"🆘 Emergency stop{reason} — working orders cancelled, positions flattened at market, "
        "new entries halted"
    )


def feed_text(event: FeedStatusEvent) -> str:
    if event.up:
        return f"📡 Market data back up: {event.message}"
    return f"📡 Market data DOWN: {event.message}"


def broker_session_text(event: BrokerSessionEvent) -> str:
    return f"🔑 Broker session expired ({event.broker}): {event.message} — log in again"


def error_text(event: ErrorEvent) -> str:
    return f"⚠️ Error in {event.source}: {event.message}"


def daily_summary_text(event: DailySummaryEvent) -> str:
    if event.trades == 0:
        return (
            f"🧾 Daily summary {event.day}: no trades, charges {rupees(event.charges)}, "
            f"net {rupees(event.net_pnl)}"
        )
    rate = event.win_rate or 0.0
    plural = "trade" if event.trades == 1 else "trades"
    return (
        f"🧾 Daily summary {event.day}: {event.trades} {plural}, win rate {rate:.0f}%, "
        f"gross {rupees(event.gross_pnl)}, charges {rupees(event.charges)}, "
        f"net {rupees(event.net_pnl)}"
    )


TEST_TEXT = "scalpbot test message"
