"""`CircuitBreaker`: the risk manager's losing-run stop.

A run of losing round trips says the strategy and today's market disagree; past the limit
(`max_consecutive_losses`) new entries stop until a new day or a person resumes. Kept apart
from the pre-trade checks in `risk.py` because it is state fed by closed trades, not a rule
applied to one order.
"""

from __future__ import annotations

from decimal import Decimal


class CircuitBreaker:
    """Counts losing round trips in a row and trips at `limit` (None: never trips)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.losses = 0
        self.tripped = False

    def record(self, net_pnl: Decimal) -> None:
        """Count a closed round trip: a loss extends the losing run, a win ends it, a trade
        that nets exactly zero leaves it as it is. The breaker trips at the limit."""
        if not isinstance(net_pnl, Decimal) or not net_pnl.is_finite():
            raise ValueError(f"net_pnl must be a finite Decimal, got {net_pnl!r}")
        if net_pnl > 0:
            self.losses = 0
            return
        if net_pnl == 0:
            return
        self.losses += 1
        if self.limit is not None and self.losses >= self.limit:
            self.tripped = True

    def set_limit(self, limit: int | None) -> None:
        """A new limit mid-session: a tripped breaker is lifted if it no longer covers the run."""
        self.limit = limit
        if self.tripped and (limit is None or self.losses < limit):
            self.tripped = False

    def reset(self) -> None:
        """Forget the losing run and lift the trip."""
        self.losses = 0
        self.tripped = False

    def describe(self) -> str:
        return f"circuit breaker tripped after {self.losses} losing trades in a row"
