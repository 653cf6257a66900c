"""The simulated market beyond its table: generated stand-in equities NSE:SIM0001 … for load."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from scalpbot.data.simulated import (
    SimulatedFeed,
    find_sim_spec,
    sim_specs,
    simulated_instruments,
    synthetic_keys,
)
from scalpbot.data.simulated.instruments import equity_tick
from scalpbot.domain import ConfigError, Exchange, InstrumentType, Tick
from scalpbot.market import is_on_tick, to_decimal
from test_feed_simulated import take

MINUTE_MS = 60_000


def first_steps(feed: SimulatedFeed, steps: int) -> list[Tick]:
    return take(feed, steps * len(feed.instruments))


def test_synthetic_keys_are_numbered_and_bounded() -> None:
    assert synthetic_keys(3) == ["NSE:SIM0001", "NSE:SIM0002", "NSE:SIM0003"]
    assert synthetic_keys(0) == []
    assert len(set(synthetic_keys(9999))) == 9999
    for bad in (-1, 10_000):
        with pytest.raises(ConfigError, match="generated instruments"):
            synthetic_keys(bad)


def test_the_table_is_unchanged_and_lists_no_generated_instrument() -> None:
    assert len(sim_specs()) == 6
    assert not any(key.startswith("NSE:SIM") for key in simulated_instruments())
    assert find_sim_spec("NSE:INFY") == sim_specs()["NSE:INFY"]
    for unknown in ("NSE:SIM0000", "NSE:SIM10000", "NSE:SIM1", "NFO:SIM0001", "NSE:NOPE"):
        assert find_sim_spec(unknown) is None


def test_generated_equities_follow_nse_contract_rules_and_their_number_alone() -> None:
    specs = [find_sim_spec(key) for key in synthetic_keys(500)]
    assert specs == [find_sim_spec(key) for key in synthetic_keys(500)]
    prices = []
    for number, spec in enumerate(specs, start=1):
        assert spec is not None
        inst = spec.instrument
        assert (inst.exchange, inst.symbol, inst.instrument_type, inst.lot_size) == (
            Exchange.NSE,
            f"SIM{number:04d}",
            InstrumentType.EQ,
            1,
        )
        assert inst.key == f"NSE:SIM{number:04d}"
        assert Decimal(50) <= spec.start_price <= Decimal(20_000)
        assert inst.tick_size == equity_tick(spec.start_price)
        assert is_on_tick(spec.start_price, inst.tick_size)
        assert 0.01 <= spec.daily_vol <= 0.03
        assert 200_000 <= spec.daily_volume <= 20_000_000
        prices.append(spec.start_price)
    # Spread over the range, not bunched: every price band has some of them.
    assert {equity_tick(p) for p in prices} == {
        Decimal("0.01"),
        Decimal("0.05"),
        Decimal("0.10"),
        Decimal("0.50"),
        Decimal("1"),
    }


def test_every_generated_start_price_is_on_the_tick_of_its_own_band() -> None:
    for key in synthetic_keys(9999):
        spec = find_sim_spec(key)
        assert spec is not None
        assert spec.instrument.tick_size == equity_tick(spec.start_price), key
        assert is_on_tick(spec.start_price, spec.instrument.tick_size), key


def test_equity_tick_bands() -> None:
    cases = {"249.99": "0.01", "250": "0.05", "999": "0.05", "1000": "0.10", "5000": "0.50"}
    cases |= {"10000": "1", "19999": "1", "20000": "5"}
    for price, tick in cases.items():
        assert equity_tick(Decimal(price)) == Decimal(tick)


def test_a_feed_of_500_instruments_ticks_each_once_per_step() -> None:
    keys = list(sim_specs()) + synthetic_keys(494)
    start = datetime(2025, 6, 2, 9, 15)
    feed = SimulatedFeed(keys, seed=5, start=start, speed=None, tick_interval_ms=MINUTE_MS)
    ticks = first_steps(feed, 2)
    assert [t.instrument_key for t in ticks] == keys + keys
    first, second = ticks[:500], ticks[500:]
    assert len({t.ts for t in first}) == len({t.ts for t in second}) == 1
    assert second[0].ts - first[0].ts == MINUTE_MS * 1_000_000
    for tick in ticks:
        spec = find_sim_spec(tick.instrument_key)
        assert spec is not None
        tick_size = spec.instrument.tick_size
        assert is_on_tick(to_decimal(tick.last_price), tick_size)
        assert tick.bid is not None and tick.ask is not None and tick.bid < tick.ask
    again = SimulatedFeed(keys, seed=5, start=start, speed=None, tick_interval_ms=MINUTE_MS)
    assert [t.last_price for t in first_steps(again, 2)] == [t.last_price for t in ticks]
    history = feed.history("NSE:SIM0250", bars=30, timeframe_minutes=5)
    assert len(history) == 30


def test_unknown_or_repeated_keys_are_refused_naming_the_generated_range() -> None:
    with pytest.raises(ConfigError, match=r"NSE:SIM0001 to NSE:SIM9999.*unknown: NSE:SIM0000"):
        SimulatedFeed(["NSE:SIM0000"])
    with pytest.raises(ConfigError, match="distinct"):
        SimulatedFeed(["NSE:SIM0001", "NSE:SIM0001"])
