"""The one charges model of scalpbot: what a trade costs at Zerodha, to the paisa.

Every mode charges fills through this module, so a backtest, a paper session and a live account
report the same net P&L for the same executions. The formulas are those Zerodha publishes, with
the rates of the trade date from `market.charge_rates`:

* brokerage per executed order: intraday and futures min(₹20, 0.03% of the order's turnover),
  options ₹20 flat, delivery free;
* STT on sell turnover (delivery: buy and sell), rounded to the rupee as contract notes do;
* exchange transaction charges and the SEBI fee (₹10 per crore) on total turnover;
* stamp duty on buy turnover only;
* GST 18% on brokerage + exchange charges + SEBI fee (as rounded for the contract note);
* delivery sells: the DP charge, ₹13.50 + 18% GST per scrip sold per day, reported in `dp`
  with its GST included (it is debited apart from the contract note, GST and all).

Each line is rounded half up to the paisa (STT to the rupee) and the total is the sum of the
rounded lines. Turnover is price × quantity, premium × quantity for options.

A caller passes one `(side, turnover)` per executed order of one day in one instrument: the
portfolio recomputes that day's charges after each fill and books the increase, so brokerage
counts orders, not fills, and rounding happens once per contract note line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from scalpbot.domain import ConfigError, Exchange, Instrument, InstrumentType, Product, Side
from scalpbot.market.charge_rates import ChargeRates, Segment, rates_for
from scalpbot.market.ticks import to_decimal

__all__ = [
    "ChargeBreakdown",
    "ChargesModel",
    "NoCharges",
    "Segment",
    "ZerodhaCharges",
    "apply_rates",
    "charges_model",
    "compute_charges",
    "round_trip_charges",
    "segment_for",
]

ZERO = Decimal(0)
PAISA = Decimal("0.01")
RUPEE = Decimal(1)
_ZERO_PAISE = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class ChargeBreakdown:
    """The charges of a set of orders, line by line, each in rupees rounded to the paisa."""

    brokerage: Decimal
    stt: Decimal
    exchange_txn: Decimal
    sebi: Decimal
    gst: Decimal
    stamp: Decimal
    dp: Decimal

    @property
    def total(self) -> Decimal:
        lines = (self.brokerage, self.stt, self.exchange_txn, self.sebi, self.gst, self.stamp)
        return sum(lines, self.dp)

    def to_dict(self) -> dict[str, Decimal]:
        """Every line and the total, keyed by the field names (for JSON and reports)."""
        return {
            "brokerage": self.brokerage,
            "stt": self.stt,
            "exchange_txn": self.exchange_txn,
            "sebi": self.sebi,
            "gst": self.gst,
            "stamp": self.stamp,
            "dp": self.dp,
            "total": self.total,
        }

    @classmethod
    def zero(cls) -> ChargeBreakdown:
        return _NO_CHARGES


_NO_CHARGES = ChargeBreakdown(*([_ZERO_PAISE] * 7))


def segment_for(instrument: Instrument, product: Product) -> Segment:
    """How an instrument bought under a product is charged.

    Equity under MIS is intraday; under CNC or NRML it is delivery (NRML on cash equity is a
    carried position). Futures and options are charged as such whatever the product.
    """
    kind = instrument.instrument_type
    if kind is InstrumentType.FUT:
        return Segment.FUTURES
    if kind in (InstrumentType.CE, InstrumentType.PE):
        return Segment.OPTIONS
    if kind is InstrumentType.EQ:
        return Segment.EQUITY_INTRADAY if product is Product.MIS else Segment.EQUITY_DELIVERY
    raise ConfigError(f"{instrument.key}: a {kind} instrument cannot be traded, so has no charges")


def _paise(amount: Decimal) -> Decimal:
    return amount.quantize(PAISA, rounding=ROUND_HALF_UP)


def apply_rates(
    rates: ChargeRates,
    orders: Sequence[tuple[Side, Decimal]],
    scrips_sold: int | None = None,
) -> ChargeBreakdown:
    """The charges of `orders` under `rates` (the formulas, apart from choosing the rates).

    `scrips_sold` counts the distinct scrips sold from delivery that day, for the DP charge;
    None means one if any order sells (the caller's orders are of one instrument).
    """
    buy = sell = brokerage = ZERO
    rate, cap = rates.brokerage_rate, rates.brokerage_cap
    for index, (side, raw) in enumerate(orders):
        turnover = raw if isinstance(raw, Decimal) else to_decimal(raw)
        if not turnover.is_finite() or turnover <= 0:
            raise ConfigError(f"order {index + 1}: turnover must be a positive amount, got {raw}")
        if side is Side.BUY:
            buy += turnover
        elif side is Side.SELL:
            sell += turnover
        else:
            raise ConfigError(f"order {index + 1}: side must be BUY or SELL, got {side!r}")
        if rate is None:
            brokerage += cap
        else:
            fee = turnover * rate
            brokerage += fee if fee < cap else cap
    if scrips_sold is None:
        scrips_sold = 1 if sell and rates.dp_per_scrip else 0
    elif scrips_sold < 0:
        raise ConfigError(f"scrips_sold must be zero or more, got {scrips_sold}")
    elif scrips_sold and not rates.dp_per_scrip:
        raise ConfigError("scrips_sold applies only to delivery (equity_delivery) sells")
    elif scrips_sold and not sell:
        raise ConfigError(f"scrips_sold is {scrips_sold} but no order sells")
    total = buy + sell
    brokerage = _paise(brokerage)
    exchange_txn = _paise(total * rates.exchange_txn)
    sebi = _paise(total * rates.sebi)
    stt = (buy * rates.stt_buy + sell * rates.stt_sell).quantize(RUPEE, ROUND_HALF_UP)
    dp_each = _paise(rates.dp_per_scrip * (1 + rates.gst))
    return ChargeBreakdown(
        brokerage=brokerage,
        stt=stt.quantize(PAISA),
        exchange_txn=exchange_txn,
        sebi=sebi,
        gst=_paise((brokerage + exchange_txn + sebi) * rates.gst),
        stamp=_paise(buy * rates.stamp_buy),
        dp=dp_each * scrips_sold,
    )


def compute_charges(
    segment: Segment | str,
    exchange: Exchange | str,
    orders: Sequence[tuple[Side, Decimal]],
    trade_date: date,
    scrips_sold: int | None = None,
) -> ChargeBreakdown:
    """Charges of one day's executed orders in one instrument, as Zerodha levies them.

    `orders` holds one `(side, turnover)` per executed order (turnover = price × quantity,
    premium × quantity for options). Exchange NSE/NFO take NSE's rates, BSE/BFO BSE's;
    MCX and CDS raise `ConfigError`.

        >>> b = compute_charges("equity_intraday", "NSE", [(Side.BUY, Decimal(140000)),
        ...                     (Side.SELL, Decimal(141000))], date(2025, 6, 2))
        >>> b.total
        Decimal('96.91')
    """
    if type(segment) is not Segment:
        segment = _parse_segment(segment)
    if type(exchange) is not Exchange:
        exchange = _parse_exchange(exchange)
    if isinstance(trade_date, datetime):
        trade_date = trade_date.date()
    return apply_rates(rates_for(segment, exchange, trade_date), orders, scrips_sold)


def round_trip_charges(
    segment: Segment | str,
    exchange: Exchange | str,
    buy_price: Decimal,
    sell_price: Decimal,
    quantity: int,
    trade_date: date,
) -> ChargeBreakdown:
    """Charges of buying and selling `quantity` in one order each (either order first)."""
    if quantity <= 0:
        raise ConfigError(f"quantity must be positive, got {quantity}")
    buy, sell = to_decimal(buy_price), to_decimal(sell_price)
    for name, price in (("buy price", buy), ("sell price", sell)):
        if not price.is_finite() or price <= 0:
            raise ConfigError(f"{name} must be a positive amount, got {price}")
    orders = [(Side.BUY, buy * quantity), (Side.SELL, sell * quantity)]
    return compute_charges(segment, exchange, orders, trade_date)


def _parse_segment(value: object) -> Segment:
    try:
        return Segment(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in Segment)
        raise ConfigError(f"unknown segment {value!r}; allowed: {allowed}") from None


def _parse_exchange(value: object) -> Exchange:
    try:
        return Exchange(str(value).strip().upper())
    except ValueError:
        allowed = ", ".join(e.value for e in Exchange)
        raise ConfigError(f"unknown exchange {value!r}; allowed: {allowed}") from None


class ChargesModel(Protocol):
    """What the engine charges fills with; `compute` has `compute_charges`'s signature."""

    @property
    def name(self) -> str: ...

    def compute(
        self,
        segment: Segment,
        exchange: Exchange,
        orders: Sequence[tuple[Side, Decimal]],
        trade_date: date,
        scrips_sold: int | None = None,
    ) -> ChargeBreakdown: ...


class ZerodhaCharges:
    """Zerodha's published charges (`compute_charges`)."""

    name = "zerodha"

    def compute(
        self,
        segment: Segment,
        exchange: Exchange,
        orders: Sequence[tuple[Side, Decimal]],
        trade_date: date,
        scrips_sold: int | None = None,
    ) -> ChargeBreakdown:
        return compute_charges(segment, exchange, orders, trade_date, scrips_sold)


class NoCharges:
    """Charges nothing: for studying a strategy's raw edge (`--charges none`)."""

    name = "none"

    def compute(
        self,
        segment: Segment,
        exchange: Exchange,
        orders: Sequence[tuple[Side, Decimal]],
        trade_date: date,
        scrips_sold: int | None = None,
    ) -> ChargeBreakdown:
        return _NO_CHARGES


_MODELS: dict[str, type[ZerodhaCharges] | type[NoCharges]] = {
    "zerodha": ZerodhaCharges,
    "none": NoCharges,
}


def charges_model(name: str) -> ChargesModel:
    """The charges model called `name` ("zerodha" or "none", any case)."""
    model = _MODELS.get(str(name).strip().lower())
    if model is None:
        raise ConfigError(f"unknown charges model {name!r}; allowed: {', '.join(_MODELS)}")
    return model()
