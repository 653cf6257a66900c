"""The statutory and broker rates behind scalpbot's charges, keyed by segment, exchange and date.

Rates are Zerodha's published schedule (zerodha.com/charges). Exchange transaction charges
include NSE's Investor Protection Fund Trust levy (₹10 per crore on equity and futures, ₹50 per
crore on options premium), as Zerodha's figures do. Each row holds every rate of one
(segment, exchange) from its effective date until the next row for that pair; a rate change is
one new row (built with `dataclasses.replace` from the previous one, so the diff is the change).

The first rows are those in force from 2024-10-01, when NSE and BSE moved to flat transaction
charges and STT on futures and options went up. Older schedules are not modelled: a trade dated
before 2024-10-01 is charged at the 2024-10-01 rates, a close estimate for backtests on older
data but not what that day's contract note showed. BSE's equity rate is its group A/B rate.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from scalpbot.domain import ConfigError, Exchange


class Segment(StrEnum):
    """How a trade is charged: cash intraday (MIS), cash delivery (CNC), futures or options."""

    EQUITY_INTRADAY = "equity_intraday"
    EQUITY_DELIVERY = "equity_delivery"
    FUTURES = "futures"
    OPTIONS = "options"


@dataclass(frozen=True, slots=True)
class ChargeRates:
    """Every rate of one segment on one exchange, as fractions of turnover (0.0003 = 0.03%).

    Brokerage per executed order is `min(brokerage_cap, brokerage_rate * turnover)`, or the flat
    `brokerage_cap` when `brokerage_rate` is None. `dp_per_scrip` is the depository charge per
    scrip sold from delivery, before its GST.
    """

    brokerage_rate: Decimal | None
    brokerage_cap: Decimal
    stt_buy: Decimal
    stt_sell: Decimal
    exchange_txn: Decimal
    stamp_buy: Decimal
    sebi: Decimal = Decimal("0.000001")  # ₹10 per crore
    gst: Decimal = Decimal("0.18")
    dp_per_scrip: Decimal = Decimal(0)


def _pct(text: str) -> Decimal:
    """A rate written as Zerodha writes it ("0.00307" %) as a fraction of turnover."""
    return Decimal(text) / 100


_FROM_2024_10 = date(2024, 10, 1)
_FROM_2026_04 = date(2026, 4, 1)
_ZERO = Decimal(0)
_TWENTY = Decimal(20)

_NSE_INTRADAY = ChargeRates(
    brokerage_rate=_pct("0.03"),
    brokerage_cap=_TWENTY,
    stt_buy=_ZERO,
    stt_sell=_pct("0.025"),
    exchange_txn=_pct("0.00307"),
    stamp_buy=_pct("0.003"),
)
_NSE_DELIVERY = ChargeRates(
    brokerage_rate=_ZERO,
    brokerage_cap=_ZERO,
    stt_buy=_pct("0.1"),
    stt_sell=_pct("0.1"),
    exchange_txn=_pct("0.00307"),
    stamp_buy=_pct("0.015"),
    dp_per_scrip=Decimal("13.50"),
)
_NSE_FUTURES = ChargeRates(
    brokerage_rate=_pct("0.03"),
    brokerage_cap=_TWENTY,
    stt_buy=_ZERO,
    stt_sell=_pct("0.02"),
    exchange_txn=_pct("0.00183"),
    stamp_buy=_pct("0.002"),
)
_NSE_OPTIONS = ChargeRates(
    brokerage_rate=None,
    brokerage_cap=_TWENTY,
    stt_buy=_ZERO,
    stt_sell=_pct("0.1"),
    exchange_txn=_pct("0.03553"),
    stamp_buy=_pct("0.003"),
)

S, NSE, BSE = Segment, Exchange.NSE, Exchange.BSE

#: (segment, exchange, effective from) -> rates. Exchange is NSE or BSE: NFO and BFO use the
#: rows of their cash exchange.
RATE_TABLE: dict[tuple[Segment, Exchange, date], ChargeRates] = {
    (S.EQUITY_INTRADAY, NSE, _FROM_2024_10): _NSE_INTRADAY,
    (S.EQUITY_INTRADAY, BSE, _FROM_2024_10): replace(_NSE_INTRADAY, exchange_txn=_pct("0.00375")),
    (S.EQUITY_DELIVERY, NSE, _FROM_2024_10): _NSE_DELIVERY,
    (S.EQUITY_DELIVERY, BSE, _FROM_2024_10): replace(_NSE_DELIVERY, exchange_txn=_pct("0.00375")),
    (S.FUTURES, NSE, _FROM_2024_10): _NSE_FUTURES,
    (S.FUTURES, BSE, _FROM_2024_10): replace(_NSE_FUTURES, exchange_txn=_ZERO),
    (S.OPTIONS, NSE, _FROM_2024_10): _NSE_OPTIONS,
    (S.OPTIONS, BSE, _FROM_2024_10): replace(_NSE_OPTIONS, exchange_txn=_pct("0.0325")),
    # Budget 2026: STT on futures 0.02% -> 0.05%, on options 0.1% -> 0.15% of sell premium.
    (S.FUTURES, NSE, _FROM_2026_04): replace(_NSE_FUTURES, stt_sell=_pct("0.05")),
    (S.FUTURES, BSE, _FROM_2026_04): replace(
        _NSE_FUTURES, exchange_txn=_ZERO, stt_sell=_pct("0.05")
    ),
    (S.OPTIONS, NSE, _FROM_2026_04): replace(_NSE_OPTIONS, stt_sell=_pct("0.15")),
    (S.OPTIONS, BSE, _FROM_2026_04): replace(
        _NSE_OPTIONS, exchange_txn=_pct("0.0325"), stt_sell=_pct("0.15")
    ),
}

#: Which exchange's rates apply to orders on each exchange.
RATE_EXCHANGE: dict[Exchange, Exchange] = {
    Exchange.NSE: NSE,
    Exchange.NFO: NSE,
    Exchange.BSE: BSE,
    Exchange.BFO: BSE,
}


def _index() -> dict[tuple[Segment, Exchange], tuple[list[date], list[ChargeRates]]]:
    """Rows grouped by (segment, exchange) and ordered by date, for a bisect per lookup."""
    grouped: dict[tuple[Segment, Exchange], tuple[list[date], list[ChargeRates]]] = {}
    for (segment, exchange, start), rates in sorted(RATE_TABLE.items(), key=lambda i: i[0][2]):
        starts, rows = grouped.setdefault((segment, exchange), ([], []))
        starts.append(start)
        rows.append(rates)
    return grouped


_INDEX = _index()


def rates_for(segment: Segment, exchange: Exchange, trade_date: date) -> ChargeRates:
    """The rates in force for `segment` on `exchange` on `trade_date`.

    Raises `ConfigError` for MCX and CDS, whose charges are not modelled yet.
    """
    rate_exchange = RATE_EXCHANGE.get(exchange)
    if rate_exchange is None:
        raise ConfigError(
            f"charges for exchange {exchange} are not supported yet (supported: NSE, BSE, NFO, "
            "BFO); use --charges none or trade on a supported exchange"
        )
    starts, rows = _INDEX[(segment, rate_exchange)]
    # Before the first row the earliest known schedule applies (see the module docstring).
    return rows[max(bisect_right(starts, trade_date) - 1, 0)]
