"""Replies to the read-only Telegram commands, from the control surface's plain data.

The control surface returns JSON-able dicts (money as exact decimal strings); these turn them
into a few lines a phone shows without scrolling.
"""

from __future__ import annotations

from typing import Any

from scalpbot.alerts.messages import price_text, rupees

HELP_TEXT = "\n".join(
    [
        "scalpbot commands:",
        "/status – state, equity, positions and orders at a glance",
        "/positions – open positions",
        "/orders – working orders",
        "/pnl – today's and the session's P&L",
        "/pause – no new entries (exits keep working)",
        "/resume – trade again",
        "/stop – end the session cleanly",
        "/killswitch – cancel everything, flatten, halt (asks to /confirm)",
        "/help – this list",
    ]
)


def status_text(status: dict[str, Any]) -> str:
    state = str(status.get("state", "?"))
    lines = [f"State: {state.upper()}" + (f" ({status['reason']})" if status.get("reason") else "")]
    lines.append(
        f"Mode {status.get('mode', '?')} · broker {status.get('broker', '?')} · "
        f"feed {status.get('feed', '?')}"
    )
    if status.get("clock"):
        lines.append(f"Clock {status['clock']}")
    if status.get("equity") is not None:
        lines.append(f"Equity {rupees(status['equity'])}")
    lines.append(
        f"Open positions {status.get('open_positions', 0)} · working orders "
        f"{status.get('working_orders', 0)} · trades {status.get('trades', 0)}"
    )
    risk = status.get("risk")
    if isinstance(risk, dict):
        if risk.get("halted"):
            lines.append(f"Entries halted: {risk.get('halt_reason') or 'yes'}")
        breaker = risk.get("circuit_breaker")
        if isinstance(breaker, dict) and breaker.get("tripped"):
            lines.append("Circuit breaker: TRIPPED")
        if risk.get("day_stop"):
            lines.append(f"Day stop: {risk['day_stop']}")
    strategies = status.get("strategies")
    if strategies:
        lines.append("Strategies: " + ", ".join(str(s) for s in strategies))
    return "\n".join(lines)


def positions_text(positions: list[dict[str, Any]]) -> str:
    if not positions:
        return "No open positions."
    lines = [f"Open positions ({len(positions)}):"]
    for p in positions:
        quantity = int(p.get("quantity", 0))
        last = p.get("last_price")
        ltp = f" · LTP {price_text(last)}" if last is not None else ""
        lines.append(
            f"{p.get('instrument')} {p.get('product', '')} {quantity:+d} @ "
            f"{price_text(p.get('average_price'))}{ltp} · unrealised "
            f"{rupees(p.get('unrealised_pnl', 0))}"
        )
    return "\n".join(lines)


def orders_text(orders: list[dict[str, Any]]) -> str:
    if not orders:
        return "No working orders."
    lines = [f"Working orders ({len(orders)}):"]
    for o in orders:
        terms = str(o.get("order_type", ""))
        if o.get("price") is not None:
            terms += f" @ {price_text(o['price'])}"
        if o.get("trigger_price") is not None:
            terms += f" trigger {price_text(o['trigger_price'])}"
        filled = o.get("filled_quantity") or 0
        part = f" ({filled} filled)" if filled else ""
        lines.append(
            f"{o.get('side')} {o.get('quantity')} {o.get('instrument')} {terms} "
            f"{o.get('status')}{part} · {o.get('role')} · {o.get('strategy_id')}"
        )
    return "\n".join(lines)


def pnl_text(pnl: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"Today {rupees(pnl.get('today', 0))}",
            f"Realised {rupees(pnl.get('realised', 0))} · unrealised "
            f"{rupees(pnl.get('unrealised', 0))}",
            f"Charges {rupees(pnl.get('charges', 0))}",
            f"Net since start {rupees(pnl.get('net', 0))} · equity {rupees(pnl.get('equity', 0))}",
            f"Trades {pnl.get('trades', 0)}",
        ]
    )
