"""scalpbot: an intraday trading bot for Indian markets.

One engine runs in three modes (backtest, paper, live); see DESIGN.md for the map of the package.
"""

__version__ = "0.1.0"
