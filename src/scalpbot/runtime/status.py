"""The compact live status line a headless session prints (and `make demo` shows)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from scalpbot.domain import ns_to_datetime

if TYPE_CHECKING:
    from scalpbot.runtime.session import TradingSession


def status_line(session: TradingSession) -> str:
    engine = session.engine
    portfolio = engine.portfolio
    equity = portfolio.equity()
    net_today = equity - portfolio.day_start_equity
    positions = [
        f"{p.instrument.symbol}{p.quantity:+d}" for p in portfolio.positions() if not p.is_flat
    ]
    working = sum(1 for _ in engine.orders.working_orders())
    moment = (
        ns_to_datetime(session.clock.ts).strftime("%Y-%m-%d %H:%M:%S") if session.clock.ts else "-"
    )
    return (
        f"{moment} IST | {engine.runner.state} | equity {equity:,.2f} | today {net_today:+,.2f}"
        f" | charges {portfolio.total_charges:,.2f} | trades {len(portfolio.trades)}"
        f" | positions {' '.join(positions) or 'flat'} | open orders {working}"
        f" | bars {session.bars_processed}"
    )


class StatusPrinter:
    """Rewrites one line on a terminal; prints whole lines when output is not a terminal."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    def __call__(self, session: TradingSession) -> None:
        line = status_line(session)
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
