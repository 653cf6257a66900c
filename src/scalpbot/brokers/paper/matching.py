"""Which resting orders a bar or a tick fills, at what price and in what order.

These are the product's fill rules; `PaperExchange` applies the matches they return.

Bar mode (a bar is stamped with its open time; the runner shows it to the exchange before the
strategy, so an order placed while the strategy handles bar t first meets bar t+1):

- MARKET fills at the bar's open.
- LIMIT buy fills when low <= limit, at min(limit, open): at the open when the bar gaps through
  the limit, else at the limit. A sell fills when high >= limit, at max(limit, open). A touch
  counts as a fill.
- SL-M buy triggers when high >= trigger and fills at max(trigger, open); a sell triggers when
  low <= trigger and fills at min(trigger, open).
- SL (stop-limit) triggers like SL-M and then is a LIMIT at its price. The limit works on the
  rest of the bar from the trigger on: if it is marketable where it triggered (a buy whose limit
  is at or above the trigger price, or above a gapped open) it fills there, at the trigger or the
  gapped open; otherwise it fills at the limit only if the bar's path after the trigger trades
  through it. If it does not fill, the order rests as OPEN (the exchange reports
  TRIGGER_PENDING -> OPEN) and works as a LIMIT from the next bar.
- Only MARKET and SL-M fills get `slippage_ticks`; limit fills never go beyond their limit.
- A fill at a market price (an open, a bid or ask) between two ticks is rounded against the
  trader: a buy up, a sell down. Fills at an order's own limit or trigger are exact.

Order within one bar. A bar is taken to travel open -> one extreme -> the other -> close:

1. Everything the open already fills (market orders, gaps through a limit or a stop) comes
   first; among those, stops before market orders before limits, then in submission order.
2. The bar goes first towards the side where a not-yet-triggered stop waits (a protective stop
   is assumed hit before a target: the worst case for the trader). With stops on both sides, or
   none, it goes first to the extreme nearer the open (the low on a tie).
3. Along the path, orders fill in the order their prices are reached; at one price, stops
   before market orders before limits, then in submission order.

So a long's sell stop below and sell target above, both inside one bar, fill the stop first;
the engine cancels the target in that fill's callback. If the open gaps through the target,
the target fills at the open first instead.

Tick mode (no path inside a tick; all matches happen at the tick, stops first, then market
orders, then limits, then in submission order):

- MARKET buys fill at the ask, sells at the bid (each falls back to the last price when
  missing), worsened by the slippage.
- LIMIT buys fill when ask <= limit, at min(limit, ask); sells when bid >= limit, at
  max(limit, bid).
- Stops trigger when the last price reaches the trigger (buy: last >= trigger, sell: last <=
  trigger). SL-M then fills like a market order on that tick; SL becomes a LIMIT and fills on
  that tick if the quote is marketable, else rests as OPEN.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from scalpbot.brokers.paper.resting import RestingOrder
from scalpbot.domain.enums import OrderType, Validity
from scalpbot.domain.market_data import Bar, Tick
from scalpbot.market.ticks import round_to_tick

FILL = 0
TRIGGER = 1  # a stop-limit triggered without filling: it now rests as a limit
_STOP, _MARKET, _LIMIT = 0, 1, 2  # priorities at one point of the path


class Match(NamedTuple):
    """One thing that happens to one order at one point of a bar's path (or at a tick).

    Tuples sort by where on the path it happens (`leg` 0 is the open, 1-3 the three legs and
    `dist` the distance from the leg's start), then by priority and submission sequence; `seq`
    is unique, so sorting never compares the later fields. The fill price is `exact` when the
    order's own (tick-aligned) limit or trigger sets it, else `base`, a market price to be
    rounded to the tick against the trader.
    """

    leg: int
    dist: float
    priority: int
    seq: int
    action: int
    order: RestingOrder
    version: int
    exact: Decimal | None
    base: float


def fill_price(
    base: float, exact: Decimal | None, tick: Decimal, is_buy: bool, slippage_ticks: int
) -> Decimal:
    """The price a fill books: `exact` (an order's own limit or trigger) as it is, else the
    market price `base` rounded to the tick against the trader (a buy up, a sell down); then
    `slippage_ticks` whole ticks worse (0 for limit fills), and a sell never below one tick.

    The one place fill prices are made: the exchange prices every fill here, and a sweep's
    replay of market orders (`scalpbot.backtest.replay`) prices its fills here too.
    """
    price = exact if exact is not None else round_to_tick(base, tick, "up" if is_buy else "down")
    if slippage_ticks:
        shift = tick * slippage_ticks
        price = price + shift if is_buy else price - shift
    return price if is_buy else max(price, tick)


NO_MATCHES: Sequence[Match] = ()
Path = tuple[float, float, float, float]


def _reach(path: Path, leg: int, price: float, level: float, below: bool) -> tuple[int, float]:
    """Where the path, standing at `price` on `leg`, first trades at or `below` (else at or
    above) `level`; (-1, 0.0) if it never does."""
    if (price <= level) if below else (price >= level):
        return leg, abs(path[leg - 1] - price) if leg else 0.0
    for i in range(max(leg, 1), 4):
        end = path[i]
        if (end <= level) if below else (end >= level):
            return i, abs(path[i - 1] - level)
    return -1, 0.0


def _down_first(touched: list[RestingOrder], bar_open: float, high: float, low: float) -> bool:
    down = up = False
    for rec in touched:
        if rec.pending_stop:
            if rec.watch_low:
                down = down or bar_open > rec.level_f
            else:
                up = up or bar_open < rec.level_f
    if down != up:
        return down
    return bar_open - low <= high - bar_open


def _bar_match(rec: RestingOrder, path: Path) -> Match | None:
    bar_open = path[0]
    is_buy = rec.is_buy
    if rec.pending_stop:
        leg, dist = _reach(path, 0, bar_open, rec.trigger_f, below=not is_buy)
        if leg < 0:
            return None
        if rec.order_type is OrderType.SL_M:
            exact = rec.trigger_price if leg else None
            return Match(leg, dist, _STOP, rec.seq, FILL, rec, rec.version, exact, bar_open)
        at = bar_open if leg == 0 else rec.trigger_f
        fill_leg, fill_dist = _reach(path, leg, at, rec.price_f, below=is_buy)
        if fill_leg < 0:
            return Match(leg, dist, _STOP, rec.seq, TRIGGER, rec, rec.version, None, at)
        if (fill_leg, fill_dist) == (leg, dist):  # marketable where it triggered
            exact = rec.trigger_price if leg else None
            return Match(leg, dist, _STOP, rec.seq, FILL, rec, rec.version, exact, bar_open)
        return Match(fill_leg, fill_dist, _STOP, rec.seq, FILL, rec, rec.version, rec.price, 0.0)
    if rec.price is None:  # market order, or a triggered SL-M left over by a volume cap
        return Match(0, 0.0, _MARKET, rec.seq, FILL, rec, rec.version, None, bar_open)
    leg, dist = _reach(path, 0, bar_open, rec.price_f, below=is_buy)
    if leg < 0:
        return None
    exact = rec.price if leg else None
    return Match(leg, dist, _LIMIT, rec.seq, FILL, rec, rec.version, exact, bar_open)


def match_bar(
    book: list[RestingOrder], bar: Bar
) -> tuple[Sequence[Match], list[RestingOrder] | None]:
    """The matches of `bar` in the order they happen, and the IOC orders it was the first
    eligible bar of (to be cancelled if still resting afterwards)."""
    ts = bar.ts
    high = bar.high
    low = bar.low
    touched: list[RestingOrder] | None = None
    ioc: list[RestingOrder] | None = None
    for rec in book:
        if ts < rec.bar_ready:
            continue
        if rec.validity is Validity.IOC:
            if ioc is None:
                ioc = [rec]
            else:
                ioc.append(rec)
        if (low <= rec.level_f) if rec.watch_low else (high >= rec.level_f):
            if touched is None:
                touched = [rec]
            else:
                touched.append(rec)
    if touched is None:
        return NO_MATCHES, ioc
    bar_open = bar.open
    if _down_first(touched, bar_open, high, low):
        path = (bar_open, low, high, bar.close)
    else:
        path = (bar_open, high, low, bar.close)
    matches = [m for rec in touched if (m := _bar_match(rec, path)) is not None]
    matches.sort()
    return matches, ioc


def _tick_match(rec: RestingOrder, last: float, bid: float, ask: float) -> Match | None:
    is_buy = rec.is_buy
    quote = ask if is_buy else bid
    if rec.pending_stop:
        if not ((last >= rec.trigger_f) if is_buy else (last <= rec.trigger_f)):
            return None
        if rec.order_type is OrderType.SL_M:
            return Match(0, 0.0, _STOP, rec.seq, FILL, rec, rec.version, None, quote)
        action = FILL if ((quote <= rec.price_f) if is_buy else (quote >= rec.price_f)) else TRIGGER
        exact = rec.price if quote == rec.price_f else None
        return Match(0, 0.0, _STOP, rec.seq, action, rec, rec.version, exact, quote)
    if rec.price is None:
        return Match(0, 0.0, _MARKET, rec.seq, FILL, rec, rec.version, None, quote)
    if not ((quote <= rec.price_f) if is_buy else (quote >= rec.price_f)):
        return None
    exact = rec.price if quote == rec.price_f else None
    return Match(0, 0.0, _LIMIT, rec.seq, FILL, rec, rec.version, exact, quote)


def match_tick(
    book: list[RestingOrder], tick: Tick
) -> tuple[Sequence[Match], list[RestingOrder] | None]:
    """The matches of `tick` in the order they apply, and the IOC orders it was the first
    eligible tick of."""
    ts = tick.ts
    last = tick.last_price
    bid = last if tick.bid is None else tick.bid
    ask = last if tick.ask is None else tick.ask
    matches: list[Match] | None = None
    ioc: list[RestingOrder] | None = None
    for rec in book:
        if ts < rec.tick_ready:
            continue
        if rec.validity is Validity.IOC:
            if ioc is None:
                ioc = [rec]
            else:
                ioc.append(rec)
        match = _tick_match(rec, last, bid, ask)
        if match is not None:
            if matches is None:
                matches = [match]
            else:
                matches.append(match)
    if matches is None:
        return NO_MATCHES, ioc
    matches.sort()
    return matches, ioc
