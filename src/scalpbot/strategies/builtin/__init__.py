"""Strategies that ship with scalpbot: a moving-average cross, RSI reversion and breakouts."""
