"""Kite's order form: the body of `POST /orders/{variety}`, built and checked from our values.

An order that Kite would refuse for a reason we can see here (no price on a LIMIT, a tag too
long, market protection on a LIMIT, ...) is refused before it is sent, with a message that
says what to fix, so no request leaves for it and no order-id uncertainty can arise.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from scalpbot.domain import Exchange, OrderRejected, OrderType, Product, Side, Validity, parse_enum
from scalpbot.market.ticks import to_decimal

TAG_MAX = 20  # Kite's limit on `tag`, letters and digits only
ICEBERG_LEGS = range(2, 51)  # Kite allows 2..50 legs
E = TypeVar("E", bound=StrEnum)

PriceLike = Decimal | float | int | str


def order_params(
    *,
    tradingsymbol: str,
    exchange: Exchange | str,
    transaction_type: Side | str,
    quantity: int,
    product: Product | str,
    order_type: OrderType | str,
    price: PriceLike | None = None,
    trigger_price: PriceLike | None = None,
    validity: Validity | str = Validity.DAY,
    validity_ttl: int | None = None,
    tag: str | None = None,
    algo_id: str | None = None,
    market_protection: Decimal | float | int | None = None,
    disclosed_quantity: int | None = None,
    iceberg_legs: int | None = None,
    iceberg_quantity: int | None = None,
) -> dict[str, str]:
    """The form body of `POST /orders/{variety}` (the variety travels in the URL).

    Checked before anything is sent, each refusal an `OrderRejected` saying what to fix:
    LIMIT/SL need a price and MARKET/SL-M take none; SL/SL-M need a trigger and the others
    take none (an SL buy's trigger may not be above its price, a sell's not below); TTL
    validity needs `validity_ttl` minutes and only TTL takes it; `market_protection` (-1 for
    Kite's automatic protection, or a percentage above 0 up to 100; None leaves it out) is
    for MARKET and SL-M only; `tag` is at most 20 letters and digits (Kite's documented
    rule); iceberg orders need both `iceberg_legs` (2..50) and `iceberg_quantity`.
    Prices are plain decimal strings ("1412.95"), already on the tick grid (the caller's job).
    """
    symbol = str(tradingsymbol).strip()
    if not symbol:
        raise OrderRejected("order has no tradingsymbol")
    kind = _choice(OrderType, order_type, "order_type")
    side = _choice(Side, transaction_type, "transaction_type")
    qty = _count(quantity, "quantity")
    form = {
        "tradingsymbol": symbol,
        "exchange": _choice(Exchange, exchange, "exchange").value,
        "transaction_type": side.value,
        "order_type": kind.value,
        "quantity": str(qty),
        "product": _choice(Product, product, "product").value,
        "validity": _choice(Validity, validity, "validity").value,
    }
    for field, value, needed in (
        ("price", price, kind in (OrderType.LIMIT, OrderType.SL)),
        ("trigger_price", trigger_price, kind in (OrderType.SL, OrderType.SL_M)),
    ):
        if value is None and needed:
            raise OrderRejected(f"a {kind.value} order needs a {field}")
        if value is not None and not needed:
            raise OrderRejected(f"a {kind.value} order takes no {field} (got {value})")
        if value is not None:
            form[field] = _price_text(value, field)
    if kind is OrderType.SL:
        limit, trigger = Decimal(form["price"]), Decimal(form["trigger_price"])
        if (side is Side.BUY and trigger > limit) or (side is Side.SELL and trigger < limit):
            direction = "above" if side is Side.BUY else "below"
            raise OrderRejected(
                f"an SL {side.value} order's trigger_price {trigger} may not be {direction} "
                f"its price {limit}"
            )
    if form["validity"] == Validity.TTL.value:
        if validity_ttl is None:
            raise OrderRejected("TTL validity needs validity_ttl (minutes)")
        form["validity_ttl"] = str(_count(validity_ttl, "validity_ttl"))
    elif validity_ttl is not None:
        raise OrderRejected(f"validity_ttl applies to TTL validity only, not {form['validity']}")
    if market_protection is not None:
        form["market_protection"] = _protection(market_protection, kind)
    if disclosed_quantity:
        shown = _count(disclosed_quantity, "disclosed_quantity")
        if shown > qty:
            raise OrderRejected(f"disclosed_quantity {shown} exceeds the quantity {qty}")
        form["disclosed_quantity"] = str(shown)
    if (iceberg_legs is None) != (iceberg_quantity is None):
        raise OrderRejected("an iceberg order needs both iceberg_legs and iceberg_quantity")
    if iceberg_legs is not None and iceberg_quantity is not None:
        legs = _count(iceberg_legs, "iceberg_legs")
        if legs not in ICEBERG_LEGS:
            raise OrderRejected(f"iceberg_legs must be 2 to 50, got {legs}")
        leg_qty = _count(iceberg_quantity, "iceberg_quantity")
        if leg_qty > qty:
            raise OrderRejected(f"iceberg_quantity {leg_qty} exceeds the quantity {qty}")
        form["iceberg_legs"], form["iceberg_quantity"] = str(legs), str(leg_qty)
    if tag:
        if len(tag) > TAG_MAX or not (tag.isascii() and tag.isalnum()):
            raise OrderRejected(
                f"order tag {tag!r} must be 1 to {TAG_MAX} letters and digits (Kite's rule)"
            )
        form["tag"] = tag
    if algo_id and algo_id.strip():
        form["algo_id"] = algo_id.strip()
    return form


def _choice(kind: type[E], value: E | str, field: str) -> E:
    try:
        return parse_enum(kind, value)
    except ValueError as exc:
        raise OrderRejected(f"{field}: {exc}") from None


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise OrderRejected(f"{field} must be a whole number above 0, got {value!r}")
    return value


def _price_text(value: PriceLike, field: str) -> str:
    try:
        number = to_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise OrderRejected(f"{field} {value!r} is not a number") from None
    if not number.is_finite() or number <= 0:
        raise OrderRejected(f"{field} must be a positive price, got {value!r}")
    return format(number, "f")


def _protection(value: Decimal | float | int, kind: OrderType) -> str:
    if kind not in (OrderType.MARKET, OrderType.SL_M):
        raise OrderRejected(f"market_protection applies to MARKET and SL-M orders, not {kind}")
    number = None if isinstance(value, bool) else to_decimal(value)
    if number is None or not number.is_finite() or not (number == -1 or 0 < number <= 100):
        raise OrderRejected(
            f"market_protection must be -1 (automatic) or a percentage above 0 up to 100, "
            f"got {value!r}"
        )
    return format(number.normalize(), "f")
