"""The portfolio stays consistent for any sequence of fills: cash, positions, P&L and charges."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scalpbot.domain import Exchange, Fill, Instrument, Product, Side, datetime_to_ns
from scalpbot.engine.portfolio import Portfolio
from scalpbot.market.charges import NoCharges, Segment, ZerodhaCharges, round_trip_charges

INFY = Instrument(Exchange.NSE, "INFY", tick_size=Decimal("0.05"))
TCS = Instrument(Exchange.NSE, "TCS", tick_size=Decimal("0.05"))
DAY_START = datetime_to_ns(datetime(2025, 6, 2, 9, 15))
MINUTE = 60 * 1_000_000_000


def fill(n: int, instrument: Instrument, side: Side, qty: int, price: str, ts: int) -> Fill:
    return Fill(f"F{n}", f"O{n}", instrument, side, qty, Decimal(price), ts, Product.MIS)


def test_worked_example_round_trip_is_charged_as_published() -> None:
    portfolio = Portfolio(Decimal(1_000_000), ZerodhaCharges())
    portfolio.apply_fill(fill(1, INFY, Side.BUY, 100, "1400", DAY_START))
    _, trade = portfolio.apply_fill(fill(2, INFY, Side.SELL, 100, "1410", DAY_START + MINUTE))
    assert trade is not None
    assert trade.pnl == Decimal(1000)
    assert trade.charges == Decimal("96.91")
    assert portfolio.total_charges == Decimal("96.91")
    assert portfolio.cash == Decimal(1_000_000) + Decimal(1000) - Decimal("96.91")


def test_partial_fills_of_one_order_pay_brokerage_once() -> None:
    portfolio = Portfolio(Decimal(1_000_000), ZerodhaCharges())
    first = Fill("F1", "O1", INFY, Side.BUY, 60, Decimal("1400"), DAY_START)
    second = Fill("F2", "O1", INFY, Side.BUY, 40, Decimal("1400"), DAY_START + 1)
    exit_fill = Fill("F3", "O2", INFY, Side.SELL, 100, Decimal("1410"), DAY_START + 2)
    for item in (first, second, exit_fill):
        portfolio.apply_fill(item)
    expected = round_trip_charges(
        Segment.EQUITY_INTRADAY,
        Exchange.NSE,
        Decimal("1400"),
        Decimal("1410"),
        100,
        date(2025, 6, 2),
    )
    assert portfolio.total_charges == expected.total


def test_reversal_closes_one_trade_and_opens_the_next() -> None:
    portfolio = Portfolio(Decimal(100_000), NoCharges())
    portfolio.apply_fill(fill(1, INFY, Side.BUY, 10, "100", DAY_START))
    _, trade = portfolio.apply_fill(fill(2, INFY, Side.SELL, 30, "110", DAY_START + MINUTE))
    assert trade is not None and trade.side == "BUY" and trade.pnl == Decimal(100)
    assert portfolio.position_quantity(INFY.key) == -20
    _, trade = portfolio.apply_fill(fill(3, INFY, Side.BUY, 20, "105", DAY_START + 2 * MINUTE))
    assert trade is not None and trade.side == "SELL" and trade.quantity == 20
    assert trade.pnl == Decimal(100)


fills = st.lists(
    st.tuples(
        st.sampled_from([INFY, TCS]),
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=200),
        st.integers(min_value=20, max_value=60_000).map(lambda p: Decimal(p) / 20),
        st.integers(min_value=0, max_value=3),  # days after the first
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(fills, st.booleans())
def test_books_balance_for_any_fills(
    sequence: list[tuple[Instrument, Side, int, Decimal, int]], charged: bool
) -> None:
    portfolio = Portfolio(Decimal(1_000_000), ZerodhaCharges() if charged else NoCharges())
    sequence = sorted(sequence, key=lambda item: item[4])
    flows = Decimal(0)
    charges = Decimal(0)
    for n, (instrument, side, qty, price, day) in enumerate(sequence):
        ts = DAY_START + day * 86_400 * 1_000_000_000 + n * MINUTE
        charged_fill, _ = portfolio.apply_fill(fill(n, instrument, side, qty, str(price), ts))
        assert charged_fill.charges >= 0
        flows -= price * qty * side.sign
        charges += charged_fill.charges
        portfolio.mark(instrument.key, float(price))
    assert portfolio.total_charges == charges
    assert portfolio.cash == Decimal(1_000_000) + flows - charges
    positions = list(portfolio.positions())
    realised = sum((p.realised_pnl for p in positions), Decimal(0))
    unrealised = sum((p.unrealised_pnl for p in positions), Decimal(0))
    assert realised + unrealised - charges == portfolio.equity() - Decimal(1_000_000)
    assert realised == portfolio.realised_pnl
    closed = portfolio.trades
    open_realised = sum((p.realised_pnl for p in positions), Decimal(0)) - sum(
        (t.pnl for t in closed), Decimal(0)
    )
    if all(p.is_flat for p in positions):
        assert open_realised == 0
        assert sum((t.charges for t in closed), Decimal(0)) == charges
