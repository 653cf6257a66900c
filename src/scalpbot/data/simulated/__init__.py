"""A seeded simulated NSE market, so anyone can watch the bot trade without an account or data.

    from scalpbot.data.simulated import SimulatedFeed, simulated_instruments
    feed = SimulatedFeed(["NSE:INFY", "NFO:NIFTY-I"], seed=7, speed=60)

`instruments` holds the instrument table, `model` the price/quote/volume process, `days` the
trading days and hours it runs on, and `feed` the `Feed` that plays it on simulated time.
"""

from scalpbot.data.simulated.feed import SimulatedFeed
from scalpbot.data.simulated.instruments import (
    SimSpec,
    find_sim_spec,
    sim_specs,
    simulated_instruments,
    synthetic_keys,
)
from scalpbot.data.simulated.model import DayPath, PriceModel

__all__ = [
    "DayPath",
    "PriceModel",
    "SimSpec",
    "SimulatedFeed",
    "find_sim_spec",
    "sim_specs",
    "simulated_instruments",
    "synthetic_keys",
]
