"""The instruments of the simulated market, with real NSE contract facts.

Sources. The broker fixture (/work/shared/fixtures/zerodha/instruments_nse.csv, from Zerodha's
kiteconnect mocks) lists none of these symbols, so the contract facts come from the exchange's
published rules:

* Tick size. Since 15 April 2025 NSE sets the tick of a stock (and its futures) by price band,
  reviewed monthly on the last close of the month: below ₹250 ₹0.01, ₹250–1,000 ₹0.05,
  ₹1,000–5,000 ₹0.10, ₹5,000–10,000 ₹0.50, ₹10,000–20,000 ₹1, above ₹20,000 ₹5; index futures
  ₹0.05 below 15,000, ₹0.10 up to 30,000, ₹0.20 above. The ticks below are those of the bands
  of the starting prices and stay fixed for a simulation (a real contract's may change monthly).
* Lot size. Cash equity trades in lots of 1. NIFTY futures: 75 until the December 2025 expiry,
  65 for contracts from January 2026 (NSE's lot-size revision of October 2025); 65 is used.

Starting prices are of the order of late-2025 market levels; the daily volatility and average
daily volume set the scale of the simulated moves and trades, not a forecast of anything.
Live trading must take tick and lot sizes from the broker's instrument master, never from here.

Beyond the table, load tests may ask for generated stand-in equities `NSE:SIM0001` …
`NSE:SIM9999` (`synthetic_keys`). They are not listed by `sim_specs()` (so a demo, the sandbox
and the settings still see the six real names); `find_sim_spec` resolves them. Each one's
parameters follow from its number alone: a start price spread over ₹50–₹20,000 with the tick
of its NSE price band, a daily volatility of 1–3 % and a volume of 0.2–20 million shares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from scalpbot.domain import ConfigError, Exchange, Instrument, InstrumentType
from scalpbot.market.ticks import round_to_tick


@dataclass(frozen=True, slots=True)
class SimSpec:
    """An instrument plus the parameters of its simulated price process.

    `daily_vol` is the standard deviation of a day's log return (0.013 = 1.3 %), and
    `daily_volume` the average units traded in a session (shares; contracts × lot for futures).
    """

    instrument: Instrument
    start_price: Decimal
    daily_vol: float
    daily_volume: int

    @property
    def key(self) -> str:
        return self.instrument.key


def _equity(symbol: str, name: str, tick: str) -> Instrument:
    return Instrument(
        Exchange.NSE, symbol, InstrumentType.EQ, Decimal(tick), 1, segment="NSE", name=name
    )


_NIFTY_FUT = Instrument(
    Exchange.NFO,
    "NIFTY-I",  # the continuous near-month contract; a real one is e.g. NIFTY26JANFUT
    InstrumentType.FUT,
    tick_size=Decimal("0.10"),
    lot_size=65,
    segment="NFO-FUT",
    name="NIFTY",
)

_SPECS: tuple[SimSpec, ...] = (
    SimSpec(_equity("RELIANCE", "RELIANCE INDUSTRIES", "0.10"), Decimal("1500"), 0.013, 10_000_000),
    SimSpec(_equity("INFY", "INFOSYS", "0.10"), Decimal("1550"), 0.015, 7_000_000),
    SimSpec(_equity("HDFCBANK", "HDFC BANK", "0.05"), Decimal("985"), 0.011, 15_000_000),
    SimSpec(_equity("TCS", "TATA CONSULTANCY SERV", "0.10"), Decimal("3100"), 0.012, 2_500_000),
    SimSpec(_equity("SBIN", "STATE BANK OF INDIA", "0.05"), Decimal("950"), 0.015, 10_000_000),
    SimSpec(_NIFTY_FUT, Decimal("26000"), 0.008, 9_750_000),
)


def sim_specs() -> dict[str, SimSpec]:
    """Every simulated instrument's spec, by instrument key, in table order."""
    return {spec.key: spec for spec in _SPECS}


def simulated_instruments() -> dict[str, Instrument]:
    """The simulated market's instruments by key ("NSE:RELIANCE", …, "NFO:NIFTY-I")."""
    return {spec.key: spec.instrument for spec in _SPECS}


#: Most generated stand-in equities (`NSE:SIM0001` … `NSE:SIM9999`).
MAX_SYNTHETIC = 9999
_SYNTHETIC = re.compile(r"NSE:SIM(\d{4})")
#: NSE equity tick by price band (lower bound of the band, tick), from April 2025.
_TICK_BANDS = (
    (Decimal(20_000), Decimal("5")),
    (Decimal(10_000), Decimal("1")),
    (Decimal(5_000), Decimal("0.50")),
    (Decimal(1_000), Decimal("0.10")),
    (Decimal(250), Decimal("0.05")),
)


def equity_tick(price: Decimal) -> Decimal:
    """The tick NSE sets for a stock priced `price` (see the module docstring)."""
    return next((tick for floor, tick in _TICK_BANDS if price >= floor), Decimal("0.01"))


def synthetic_keys(count: int) -> list[str]:
    """Keys of the first `count` generated equities: NSE:SIM0001, NSE:SIM0002, …"""
    if type(count) is not int or not 0 <= count <= MAX_SYNTHETIC:
        raise ConfigError(f"generated instruments: 0 to {MAX_SYNTHETIC}, not {count!r}")
    return [f"NSE:SIM{number:04d}" for number in range(1, count + 1)]


def _synthetic_spec(number: int) -> SimSpec:
    # Fractional parts of multiples of irrational numbers: spread evenly, no generator needed.
    u, v, w = ((number * a) % 1.0 for a in (0.6180339887, 0.7548776662, 0.5698402911))
    raw = Decimal(repr(round(50.0 * 400.0**u, 2)))  # ₹50 … ₹20,000, log-uniform
    tick = equity_tick(raw)
    symbol = f"SIM{number:04d}"
    instrument = _equity(symbol, f"SIMULATED {number:04d}", str(tick))
    return SimSpec(
        instrument,
        round_to_tick(raw, tick, "down"),  # down stays in the band (its floor is on the grid)
        round(0.01 + 0.02 * v, 4),
        int(200_000 * 100.0**w),
    )


def find_sim_spec(key: str) -> SimSpec | None:
    """The spec of a table instrument or of a generated equity (`NSE:SIM0001`), else None."""
    spec = sim_specs().get(key)
    if spec is not None:
        return spec
    match = _SYNTHETIC.fullmatch(key)
    if match is None or int(match.group(1)) == 0:
        return None
    return _synthetic_spec(int(match.group(1)))
