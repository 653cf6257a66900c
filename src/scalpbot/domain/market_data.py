"""Market data as the core sees it: ticks and bars.

Timestamps are integers of nanoseconds since the Unix epoch (UTC). Keeping them as ints lets the
backtest loop move a million bars without building a `datetime` for each; `.time` gives an
IST-aware `datetime` when a strategy asks for one.

`Bar` is deliberately mutable: a backtest feed updates one `Bar` in place for every row, so the
hot loop allocates nothing. A bar handed to `on_bar` is valid for that call; keep `bar.copy()`
if you need it later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

IST = timezone(timedelta(hours=5, minutes=30), "IST")
NS_PER_SECOND = 1_000_000_000


def ns_to_datetime(ts_ns: int) -> datetime:
    """IST-aware datetime for an epoch-nanosecond timestamp (microsecond precision)."""
    return datetime.fromtimestamp(ts_ns // 1000 / 1_000_000, tz=IST)


def datetime_to_ns(moment: datetime) -> int:
    """Epoch nanoseconds for an aware datetime; a naive one is taken as IST (exchange time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=IST)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_SECOND + delta.microseconds * 1000


class Bar:
    """One OHLCV bar of an instrument; `ts` is the bar's open time in epoch nanoseconds."""

    __slots__ = ("close", "high", "instrument_key", "low", "open", "ts", "volume")

    def __init__(
        self,
        instrument_key: str,
        ts: int,
        open: float,
        high: float,
        low: float,
        close: float,
        volume: float = 0.0,
    ) -> None:
        self.instrument_key = instrument_key
        self.ts = ts
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume

    @property
    def time(self) -> datetime:
        return ns_to_datetime(self.ts)

    def copy(self) -> Bar:
        return Bar(
            self.instrument_key, self.ts, self.open, self.high, self.low, self.close, self.volume
        )

    def __repr__(self) -> str:
        return (
            f"Bar({self.instrument_key} {self.time.isoformat()} o={self.open} h={self.high} "
            f"l={self.low} c={self.close} v={self.volume})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bar):
            return NotImplemented
        return (
            self.instrument_key,
            self.ts,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
        ) == (
            other.instrument_key,
            other.ts,
            other.open,
            other.high,
            other.low,
            other.close,
            other.volume,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable


class Tick:
    """A trade/quote update: last price, cumulative volume and the best bid/ask when known."""

    __slots__ = (
        "ask",
        "ask_qty",
        "bid",
        "bid_qty",
        "instrument_key",
        "last_price",
        "last_qty",
        "oi",
        "ts",
        "volume",
    )

    def __init__(
        self,
        instrument_key: str,
        ts: int,
        last_price: float,
        *,
        last_qty: int = 0,
        volume: int = 0,
        bid: float | None = None,
        ask: float | None = None,
        bid_qty: int = 0,
        ask_qty: int = 0,
        oi: int = 0,
    ) -> None:
        self.instrument_key = instrument_key
        self.ts = ts
        self.last_price = last_price
        self.last_qty = last_qty
        self.volume = volume
        self.bid = bid
        self.ask = ask
        self.bid_qty = bid_qty
        self.ask_qty = ask_qty
        self.oi = oi

    @property
    def time(self) -> datetime:
        return ns_to_datetime(self.ts)

    def __repr__(self) -> str:
        return (
            f"Tick({self.instrument_key} {self.time.isoformat()} ltp={self.last_price} "
            f"bid={self.bid} ask={self.ask} vol={self.volume})"
        )


_LEVEL_STARTS = range(0, 30, 3)  # ten depth levels of three integers each


class QuoteTick(Tick):
    """A tick that carries a broker's whole quote: the day's open/high/low/close, average
    traded price, total buy and sell quantity, the open-interest range, the last trade time and
    the market depth as (price, quantity, orders) levels, best bid first then best ask first.

    Strategies that only need the last price treat it as a plain `Tick`; the extras are there
    so that nothing a broker's feed delivers is thrown away.
    """

    __slots__ = (
        "_depth",
        "_depth_divisor",
        "_depth_raw",
        "average_price",
        "buy_quantity",
        "change",
        "last_trade_ts",
        "ohlc",
        "oi_day_high",
        "oi_day_low",
        "sell_quantity",
    )

    def __init__(
        self,
        instrument_key: str,
        ts: int,
        last_price: float,
        *,
        last_qty: int = 0,
        volume: int = 0,
        bid: float | None = None,
        ask: float | None = None,
        bid_qty: int = 0,
        ask_qty: int = 0,
        oi: int = 0,
        average_price: float | None = None,
        buy_quantity: int = 0,
        sell_quantity: int = 0,
        ohlc: tuple[float, float, float, float] | None = None,
        change: float | None = None,
        last_trade_ts: int = 0,
        oi_day_high: int = 0,
        oi_day_low: int = 0,
        depth: tuple[tuple[float, int, int], ...] = (),
    ) -> None:
        super().__init__(
            instrument_key,
            ts,
            last_price,
            last_qty=last_qty,
            volume=volume,
            bid=bid,
            ask=ask,
            bid_qty=bid_qty,
            ask_qty=ask_qty,
            oi=oi,
        )
        self.average_price = average_price
        self.buy_quantity = buy_quantity
        self.sell_quantity = sell_quantity
        self.ohlc = ohlc
        self.change = change
        self.last_trade_ts = last_trade_ts
        self.oi_day_high = oi_day_high
        self.oi_day_low = oi_day_low
        self._depth: tuple[tuple[float, int, int], ...] | None = depth
        self._depth_raw: tuple[int, ...] = ()
        self._depth_divisor = 1.0

    def set_raw_depth(self, raw: tuple[int, ...], divisor: float) -> None:
        """Keep a feed's undecoded depth: ten (quantity, price, orders) integer triples, prices
        still to be divided by `divisor`. Decoded only when someone reads `depth`, because most
        strategies never do and a full feed delivers thousands of ticks a second."""
        self._depth = None
        self._depth_raw = raw
        self._depth_divisor = divisor

    @property
    def depth(self) -> tuple[tuple[float, int, int], ...]:
        """(price, quantity, orders) per level: the bids best first, then the asks best first."""
        if self._depth is None:
            raw, d = self._depth_raw, self._depth_divisor
            self._depth = tuple([(raw[i + 1] / d, raw[i], raw[i + 2]) for i in _LEVEL_STARTS])
        return self._depth
