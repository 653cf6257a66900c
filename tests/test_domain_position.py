"""Position arithmetic: averaging, partial closes, reversals, and conservation under any fills."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from scalpbot.domain import Exchange, Instrument, Position, Side

INSTRUMENT = Instrument(Exchange.NSE, "INFY", tick_size=Decimal("0.05"))


def test_averaging_and_partial_close() -> None:
    position = Position(INSTRUMENT)
    position.apply_fill(Side.BUY, 10, Decimal("100"), 1)
    position.apply_fill(Side.BUY, 10, Decimal("110"), 2)
    assert position.average_price == Decimal("105")
    realised = position.apply_fill(Side.SELL, 5, Decimal("120"), 3)
    assert realised == Decimal("75")
    assert position.quantity == 15
    assert position.average_price == Decimal("105")


def test_reversal_opens_remainder_at_fill_price() -> None:
    position = Position(INSTRUMENT)
    position.apply_fill(Side.BUY, 10, Decimal("100"), 1)
    realised = position.apply_fill(Side.SELL, 25, Decimal("90"), 2)
    assert realised == Decimal("-100")
    assert position.quantity == -15
    assert position.average_price == Decimal("90")
    assert position.opened_ts == 2


fills = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=50),
        st.integers(min_value=1, max_value=4000).map(lambda p: Decimal(p) / 20),
    ),
    min_size=1,
    max_size=40,
)


@given(fills)
def test_realised_plus_unrealised_equals_cash_flow(
    sequence: list[tuple[Side, int, Decimal]],
) -> None:
    """Money is conserved: P&L from the position equals -(cash spent) + value held."""
    position = Position(INSTRUMENT)
    cash = Decimal(0)
    for ts, (side, quantity, price) in enumerate(sequence):
        position.apply_fill(side, quantity, price, ts)
        cash -= price * quantity * side.sign
        position.last_price = price
    value_held = position.quantity * (position.last_price or Decimal(0))
    assert position.realised_pnl + position.unrealised_pnl == cash + value_held
    assert position.quantity == sum(q * s.sign for s, q, _ in sequence)
    if position.quantity == 0:
        assert position.average_price == 0
