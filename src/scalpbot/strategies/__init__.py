"""Strategies: the base class and its context API, parameters, exits, built-ins, loading."""

from scalpbot.strategies.base import Strategy, StrategyContext
from scalpbot.strategies.exits import ExitOffset, atr, pct, points, price
from scalpbot.strategies.params import BoolParam, ChoiceParam, FloatParam, IntParam, Param
from scalpbot.strategies.registry import BUILTINS, create_strategy, load_strategy_class
from scalpbot.strategies.search import SearchRange, SearchValue

__all__ = [
    "BUILTINS",
    "BoolParam",
    "ChoiceParam",
    "ExitOffset",
    "FloatParam",
    "IntParam",
    "Param",
    "SearchRange",
    "SearchValue",
    "Strategy",
    "StrategyContext",
    "atr",
    "create_strategy",
    "load_strategy_class",
    "pct",
    "points",
    "price",
]
