"""`PaperAccount`: the account side (profile and funds) of the paper broker.

A real broker answers "who am I logged in as" and "how much cash and margin do I have" from its
servers; the paper broker answers from the configured capital and, while a paper session
trades, from that session's books. The dashboard's "test the broker" button calls these two
methods of the `Broker` protocol whichever broker is configured, so paper behaves like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scalpbot.domain import ConfigError, Exchange, Funds, Product, Profile

PAPER_USER_ID = "PAPER"


@dataclass(frozen=True, slots=True)
class PaperBooks:
    """What a running paper session knows about its money: equity (capital plus realised and
    unrealised P&L, less charges) and the value held in open positions (the margin used)."""

    equity: Decimal
    used_margin: Decimal


class PaperAccount:
    """Profile and funds of the simulated account.

    account = PaperAccount(Decimal(100000))                   # no session running
    account = PaperAccount(capital, PaperBooks(equity, used))  # while one trades
    account.get_funds().available_cash
    """

    name = "paper"

    def __init__(self, capital: Decimal, books: PaperBooks | None = None) -> None:
        if not isinstance(capital, Decimal) or not capital.is_finite() or capital <= 0:
            raise ConfigError(f"paper capital must be a positive amount, got {capital!r}")
        self.capital = capital
        self.books = books

    def get_profile(self) -> Profile:
        return Profile(
            user_id=PAPER_USER_ID,
            user_name="Paper trader",
            broker=self.name,
            exchanges=tuple(exchange.value for exchange in Exchange),
            products=tuple(product.value for product in Product),
        )

    def get_funds(self) -> Funds:
        """Total balance is the session's equity (the capital when none runs); what positions
        hold is used margin (a paper account has no leverage); the rest is available."""
        if self.books is None:
            return Funds(available_cash=self.capital, total_balance=self.capital)
        used = max(self.books.used_margin, Decimal(0))
        return Funds(
            available_cash=self.books.equity - used,
            used_margin=used,
            total_balance=self.books.equity,
        )
