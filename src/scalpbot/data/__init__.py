"""Historical bars: loading CSV and Parquet, saving Parquet, writing CSV, bundled samples.

    from scalpbot.data import load_bars, sample_path, save_bars
    bars = load_bars(sample_path("GOOG.csv"))     # BarSeries, timestamps UTC epoch-ns
    save_bars(bars, "goog.parquet")

See DESIGN.md for what this layer holds; it imports only `domain` and `market`.
"""

from scalpbot.data.aggregator import BarAggregator
from scalpbot.data.csv_formats import FORMATS, CsvFormat
from scalpbot.data.csv_writer import write_csv
from scalpbot.data.feeds import Feed, ReplayFeed
from scalpbot.data.loader import load_bars
from scalpbot.data.parquet_store import save_bars
from scalpbot.data.sample_files import SAMPLES, sample_path
from scalpbot.data.series import BarSeries
from scalpbot.data.simulated import SimulatedFeed, simulated_instruments

__all__ = [
    "FORMATS",
    "SAMPLES",
    "BarAggregator",
    "BarSeries",
    "CsvFormat",
    "Feed",
    "ReplayFeed",
    "SimulatedFeed",
    "load_bars",
    "sample_path",
    "save_bars",
    "simulated_instruments",
    "write_csv",
]
