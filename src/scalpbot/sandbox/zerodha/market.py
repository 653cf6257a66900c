"""The sandbox's market: the simulated NSE instruments with Kite tokens, and their prices.

Each instrument's price is a seeded random walk on its tick grid (integer ticks, so every price
is exactly on the tick), advanced one step per `step()`; tests can also set a price outright.
The exchange clock runs `time_scale` times faster than the wall clock from the sandbox's start,
so a client can watch one-minute bars form in seconds.
"""

from __future__ import annotations

import calendar
import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from scalpbot.data.simulated.instruments import sim_specs
from scalpbot.domain import IST, Instrument, InstrumentType

#: One-minute candles kept per instrument (a little over three trading days).
MINUTES_KEPT = 1200
#: Kite's segment codes (the low byte of an instrument token).
SEGMENT_CODES = {"NSE": 1, "NFO": 2, "CDS": 3, "BSE": 4, "BFO": 5, "MCX": 7}
CSV_COLUMNS = (
    "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,"
    "lot_size,instrument_type,segment,exchange"
)


def _last_thursday(year: int, month: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - 3) % 7)


@dataclass(slots=True)
class Listing:
    """One instrument as the sandbox lists it, with its price in integer ticks."""

    instrument: Instrument
    exchange_token: int
    ticks: int
    daily_vol: float
    day_open: int = 0
    day_high: int = 0
    day_low: int = 0
    prev_close: int = 0
    volume: int = 0
    last_qty: int = 0
    turnover_ticks: int = 0
    expiry: date | None = None
    depth_levels: int = 5
    history: list[int] = field(default_factory=list)
    #: What traded, by exchange-clock minute (epoch seconds): [open, high, low, close] in
    #: ticks and the volume — the candles history serves for the time the sandbox has run.
    minutes: dict[int, list[int]] = field(default_factory=dict)

    @property
    def token(self) -> int:
        return (self.exchange_token << 8) | SEGMENT_CODES[self.instrument.exchange.value]

    @property
    def key(self) -> str:
        return self.instrument.key

    @property
    def tick_size(self) -> Decimal:
        return self.instrument.tick_size

    def price(self, ticks: int | None = None) -> Decimal:
        return (self.ticks if ticks is None else ticks) * self.tick_size

    def paise(self, ticks: int | None = None) -> int:
        """A price in ticks as integer paise (the ticker's unit for NSE and NFO)."""
        return int(self.price(ticks) * 100)

    def to_ticks(self, price: Decimal) -> int:
        return int((price / self.tick_size).to_integral_value())

    @property
    def average_ticks(self) -> int:
        return self.turnover_ticks // self.volume if self.volume else self.ticks


class Market:
    """Prices of the sandbox's instruments and the exchange clock."""

    def __init__(self, seed: int = 7, time_scale: float = 1.0) -> None:
        self.rng = random.Random(seed)
        self.time_scale = time_scale
        self._wall0 = time.time()
        self.paused = False
        today = datetime.now(IST).date()
        expiry = _last_thursday(today.year, today.month)
        if expiry < today:
            nxt = today.replace(day=28) + timedelta(days=7)
            expiry = _last_thursday(nxt.year, nxt.month)
        self.listings: dict[str, Listing] = {}
        for number, spec in enumerate(sim_specs().values(), start=1):
            inst = spec.instrument
            ticks = int(spec.start_price / inst.tick_size)
            listing = Listing(
                inst,
                exchange_token=1000 + number,
                ticks=ticks,
                daily_vol=spec.daily_vol,
                day_open=ticks,
                day_high=ticks,
                day_low=ticks,
                prev_close=ticks,
                expiry=expiry if inst.instrument_type is InstrumentType.FUT else None,
            )
            self.listings[inst.key] = listing
        self.by_token = {listing.token: listing for listing in self.listings.values()}

    def exchange_time(self) -> float:
        """Epoch seconds on the exchange clock (faster than the wall clock by `time_scale`)."""
        now = time.time()
        return self._wall0 + (now - self._wall0) * self.time_scale

    def exchange_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.exchange_time(), IST)

    def step(self) -> None:
        """One price step for every instrument (a trade of a random size at the new price)."""
        if self.paused:
            return
        for listing in self.listings.values():
            sigma = listing.daily_vol / math.sqrt(75_000)  # ~ one step in a day's 0.3 s steps
            move = self.rng.gauss(0.0, sigma) * listing.ticks
            listing.ticks = max(1, listing.ticks + round(move))
            self.trade(listing, self.rng.randint(1, 50) * listing.instrument.lot_size)

    def set_price(self, key: str, price: Decimal) -> Listing:
        listing = self.listings[key]
        listing.ticks = max(1, listing.to_ticks(price))
        self.trade(listing, listing.instrument.lot_size)
        return listing

    def trade(self, listing: Listing, quantity: int) -> None:
        """A trade at the listing's price: the day's figures and this minute's candle move."""
        minute = int(self.exchange_time()) // 60 * 60
        candle = listing.minutes.get(minute)
        ticks = listing.ticks
        if candle is None:
            listing.minutes[minute] = [ticks, ticks, ticks, ticks, quantity]
            if len(listing.minutes) > MINUTES_KEPT:
                del listing.minutes[next(iter(listing.minutes))]
        else:
            candle[1] = max(candle[1], ticks)
            candle[2] = min(candle[2], ticks)
            candle[3] = ticks
            candle[4] += quantity
        listing.volume += quantity
        listing.last_qty = quantity
        listing.turnover_ticks += listing.ticks * quantity
        listing.day_high = max(listing.day_high, listing.ticks)
        listing.day_low = min(listing.day_low, listing.ticks)

    def instruments_csv(self, exchange: str | None = None) -> str:
        lines = [CSV_COLUMNS]
        for listing in self.listings.values():
            inst = listing.instrument
            if exchange and inst.exchange.value != exchange:
                continue
            segment = "NFO-FUT" if inst.instrument_type is InstrumentType.FUT else inst.exchange
            expiry = listing.expiry.isoformat() if listing.expiry else ""
            lines.append(
                f"{listing.token},{listing.exchange_token},{inst.symbol},{inst.name},0.0,"
                f"{expiry},0.0,{inst.tick_size},{inst.lot_size},{inst.instrument_type.value},"
                f"{segment},{inst.exchange.value}"
            )
        return "\n".join(lines) + "\n"

    def candles(
        self, listing: Listing, interval_minutes: int, start: datetime, end: datetime
    ) -> list[list[object]]:
        """OHLCV candles between `start` and `end`: one-minute candles of what the sandbox has
        traded while running; before that (and for longer intervals) deterministic made-up ones
        in exchange hours."""
        rng = random.Random(f"{listing.token}:{interval_minutes}:{start.date()}")
        rows: list[list[object]] = []
        ticks = listing.prev_close
        moment = start.astimezone(IST).replace(second=0, microsecond=0)
        step = timedelta(minutes=interval_minutes)
        recorded = listing.minutes if interval_minutes == 1 else {}
        first_recorded = next(iter(recorded), None)
        while moment < end and len(rows) < 200_000:
            local = moment.time()
            candle = recorded.get(int(moment.timestamp()))
            if candle is not None:
                o, h, lo, c, volume = candle
                prices = [float(listing.price(t)) for t in (o, h, lo, c)]
                rows.append([moment.isoformat(), *prices, volume])
            elif first_recorded is not None and moment.timestamp() >= first_recorded:
                pass  # the sandbox was running and nothing traded that minute: no candle
            elif moment.weekday() < 5 and (9, 15) <= (local.hour, local.minute) < (15, 30):
                path = [ticks]
                for _ in range(4):
                    path.append(max(1, path[-1] + rng.randint(-3, 3)))
                o, c = path[0], path[-1]
                rows.append(
                    [
                        moment.isoformat(),
                        float(listing.price(o)),
                        float(listing.price(max(path))),
                        float(listing.price(min(path))),
                        float(listing.price(c)),
                        rng.randint(100, 10_000),
                    ]
                )
                ticks = c
            moment += step
        return rows
