"""The seeded price, quote and volume process of one simulated instrument.

Each trading day is generated whole, as numpy columns, from a generator seeded by
(seed, instrument, date). A day therefore depends on nothing but those three (and the step
length), so a session can start on any day without replaying the days before it, warm-up
history and the live feed show the very same prices, and the same seed always gives the same
ticks.

The process, in log price x:

* Day level. A slow AR(1) walk over calendar days, L_d = φ·L_{d-1} + ε_d around the starting
  price (φ = 0.97), keeps prices within a few daily moves of realistic levels however far the
  simulated date is from today.
* Intraday. Geometric random walk with a U-shaped volatility profile (a burst after the open
  decaying over ~20 minutes, a quiet midday, a rise into the close; the profile averages 1, so
  a day's variance is `daily_vol`²), occasional jumps (Poisson, about one a day), and a small
  mean-reverting drift (κ = 3 per session) towards a line from today's level to tomorrow's.
  The close thus lands near tomorrow's level and the next open adds a small overnight gap.
* Trades. One possible trade per step, its size Poisson around a U-shaped volume profile (in
  lots for futures); a step without a trade is a quote update that keeps the last price.
* Quotes. A spread of 1–3 ticks: a buyer-initiated trade (an uptick) prints at the ask, a
  seller-initiated one at the bid, with random depth on each side.

Prices reach the tick grid only through `round_to_tick`; a bar's OHLC can round the raw
extremes because rounding is monotonic (max of rounded = rounded max).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from scalpbot.data.simulated.instruments import SimSpec
from scalpbot.domain import ConfigError, Tick
from scalpbot.market import round_to_tick

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
#: Bar columns: ts, open, high, low, close, volume.
BarColumns = tuple[I64, F64, F64, F64, F64, F64]

LEVEL_PHI = 0.97  # daily persistence of the level walk
LEVEL_VOL = 0.8  # daily level shock, in units of daily_vol
LEVEL_MEMORY = 256  # days of shocks summed (0.97**256 ≈ 4e-4)
KAPPA = 3.0  # mean reversion per session
GAP_VOL = 0.35  # overnight gap noise, in units of daily_vol
JUMPS_PER_DAY = 1.0
JUMP_VOL = 0.35  # jump size, in units of daily_vol
TRADE_DISPERSION = 0.8  # sigma of the lognormal factor on trade size
SPREAD_TICKS = np.array([1, 2, 3])
SPREAD_ODDS = np.array([0.6, 0.3, 0.1])
_BLOCK = 256


def u_profile(u: F64, open_weight: float, close_weight: float, width: float = 0.06) -> F64:
    """A U-shaped intraday weight over session fraction `u` in [0, 1), averaging 1.

    `width` is the decay length as a fraction of the session (0.06 of 375 minutes ≈ 22 min).
    """
    raw = 1.0 + open_weight * np.exp(-u / width) + close_weight * np.exp((u - 1.0) / width)
    result: F64 = raw / raw.mean()
    return result


@dataclass(frozen=True, slots=True)
class DayPath:
    """One simulated session of one instrument, one row per step.

    `price` is the raw (off-grid) last traded price; `qty` the units traded at the step (0: a
    quote update), `cum` the day's cumulative volume, `spread` the spread in ticks, `buyer`
    whether the trade lifted the ask.
    """

    ts: I64
    price: F64
    qty: I64
    cum: I64
    spread: I64
    buyer: npt.NDArray[np.bool_]
    bid_qty: I64
    ask_qty: I64

    def __len__(self) -> int:
        return int(self.ts.shape[0])


class PriceModel:
    """Generates `DayPath`s of one instrument for a seed and a step length (see module doc)."""

    def __init__(self, spec: SimSpec, seed: int, step_ns: int) -> None:
        if type(seed) is not int or seed < 0:
            raise ConfigError(f"simulation seed must be a non-negative integer, not {seed!r}")
        if step_ns <= 0:
            raise ConfigError(f"simulation step must be positive, not {step_ns} ns")
        self.spec = spec
        self.seed = seed
        self.step_ns = step_ns
        self.tick_size = spec.instrument.tick_size
        self._salt = zlib.crc32(spec.key.encode())  # stable across runs, unlike hash()
        self._log_start = math.log(float(spec.start_price))
        self._blocks: dict[int, F64] = {}
        self._weights = LEVEL_PHI ** np.arange(LEVEL_MEMORY - 1, -1, -1, dtype=np.float64)

    def _rng(self, kind: int, number: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self._salt, kind, number])

    def log_level(self, ordinal: int) -> float:
        """The day level L_d (log price) of the date with proleptic ordinal `ordinal`."""
        first = ordinal - LEVEL_MEMORY + 1
        parts = []
        for block in range(first // _BLOCK, ordinal // _BLOCK + 1):
            shocks = self._blocks.get(block)
            if shocks is None:
                shocks = self._blocks[block] = self._rng(0, block).standard_normal(_BLOCK)
            lo = max(first - block * _BLOCK, 0)
            hi = min(ordinal - block * _BLOCK + 1, _BLOCK)
            parts.append(shocks[lo:hi])
        level = float(np.dot(self._weights, np.concatenate(parts)))
        return self._log_start + LEVEL_VOL * self.spec.daily_vol * level

    def day(self, day: date, open_ns: int, close_ns: int) -> DayPath:
        """The session of `day` from `open_ns` (inclusive) to `close_ns` (exclusive)."""
        if close_ns <= open_ns:
            raise ConfigError(f"{day}: session close {close_ns} is not after open {open_ns}")
        n = -(-(close_ns - open_ns) // self.step_ns)
        rng = self._rng(1, day.toordinal())
        vol = self.spec.daily_vol
        ts = open_ns + np.arange(n, dtype=np.int64) * self.step_ns
        u = (ts - open_ns) / float(close_ns - open_ns)
        today, tomorrow = self.log_level(day.toordinal()), self.log_level(day.toordinal() + 1)
        target = today + (tomorrow - today) * u

        shocks = rng.standard_normal(n) * (vol * np.sqrt(u_profile(u, 3.0, 2.0) / n))
        jumps = rng.poisson(JUMPS_PER_DAY) if n > 1 else 0
        np.add.at(shocks, rng.integers(1, max(n, 2), jumps), rng.normal(0, JUMP_VOL * vol, jumps))
        # Deviation y = x - target follows y[k] = a*y[k-1] + e[k]; solved in closed form as
        # y[k] = a**k * (y[0] + sum_{j<=k} e[j] / a**j), where a**-n = e**KAPPA stays small.
        a = math.exp(-KAPPA / n)
        powers = a ** np.arange(n, dtype=np.float64)
        e = shocks[1:] - np.diff(target)
        y0 = rng.normal(0.0, GAP_VOL * vol)
        y = powers * (y0 + np.concatenate(([0.0], np.cumsum(e / powers[1:]))))
        raw = np.exp(target + y)

        lot = self.spec.instrument.lot_size
        mean_lots = self.spec.daily_volume / lot / n * u_profile(u, 2.5, 2.0)
        size = np.exp(rng.normal(-(TRADE_DISPERSION**2) / 2, TRADE_DISPERSION, n))
        lots = rng.poisson(mean_lots * size)
        lots[0] = max(int(lots[0]), 1)  # the opening trade sets the day's first price
        traded = lots > 0
        last_trade = np.maximum.accumulate(np.where(traded, np.arange(n), 0))
        price = raw[last_trade]
        qty = (lots * lot).astype(np.int64)

        move = np.diff(price, prepend=price[0])
        buyer = np.where(move == 0, rng.random(n) < 0.5, move > 0)
        spread = rng.choice(SPREAD_TICKS, size=n, p=SPREAD_ODDS).astype(np.int64)
        depth = mean_lots * 4.0
        bid_qty = ((rng.poisson(depth) + 1) * lot).astype(np.int64)
        ask_qty = ((rng.poisson(depth) + 1) * lot).astype(np.int64)
        return DayPath(ts, price, qty, np.cumsum(qty), spread, buyer, bid_qty, ask_qty)

    def tick(self, path: DayPath, i: int) -> Tick:
        """Step `i` of `path` as a `Tick`: last price on the tick grid, bid < ask around it."""
        tick_size = self.tick_size
        last = round_to_tick(float(path.price[i]), tick_size)
        width = tick_size * int(path.spread[i])
        if path.buyer[i]:
            bid, ask = last - width, last
        else:
            bid, ask = last, last + width
        return Tick(
            self.spec.key,
            int(path.ts[i]),
            float(last),
            last_qty=int(path.qty[i]),
            volume=int(path.cum[i]),
            bid=float(bid),
            ask=float(ask),
            bid_qty=int(path.bid_qty[i]),
            ask_qty=int(path.ask_qty[i]),
        )

    def bars(self, path: DayPath, period_ns: int, origin_ns: int, until_ns: int) -> BarColumns:
        """Bars (ts, open, high, low, close, volume) of `path` whose interval ends by `until_ns`.

        The grid is the `BarAggregator`'s (bar start = t - (t - origin) mod period), and the
        values equal what it builds from this path's ticks: OHLC of the grid prices, volume
        the units traded within the bar.
        """
        starts = path.ts - (path.ts - origin_ns) % period_ns
        keep = starts + period_ns <= until_ns
        starts, price, qty = starts[keep], path.price[keep], path.qty[keep]
        if starts.shape[0] == 0:
            empty = np.empty(0, dtype=np.float64)
            return np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty
        first = np.flatnonzero(np.diff(starts, prepend=starts[0] - 1))
        last = np.append(first[1:] - 1, starts.shape[0] - 1)
        tick_size = self.tick_size

        def grid(values: F64) -> F64:
            return np.array([float(round_to_tick(float(v), tick_size)) for v in values])

        return (
            starts[first],
            grid(price[first]),
            grid(np.maximum.reduceat(price, first)),
            grid(np.minimum.reduceat(price, first)),
            grid(price[last]),
            np.add.reduceat(qty, first).astype(np.float64),
        )
