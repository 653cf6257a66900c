"""The bundled samples are found by name, load, and carry their source notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalpbot.data import SAMPLES, load_bars, sample_path
from scalpbot.domain import DataError


def test_every_sample_exists_and_loads() -> None:
    assert SAMPLES == ("GOOG.csv", "2006-min-005.txt")
    counts = {"GOOG.csv": 2148, "2006-min-005.txt": 2142}
    for name in SAMPLES:
        path = sample_path(name)
        assert isinstance(path, Path) and path.is_file() and path.name == name
        assert len(load_bars(path)) == counts[name]


def test_unknown_sample_lists_the_known_ones() -> None:
    with pytest.raises(DataError, match=r"unknown sample 'NIFTY.csv'; available samples: GOOG.csv"):
        sample_path("NIFTY.csv")
    with pytest.raises(DataError, match="unknown sample"):
        sample_path("../series.py")


def test_readme_states_each_source() -> None:
    readme = (sample_path("GOOG.csv").parent / "README.md").read_text()
    for name in SAMPLES:
        assert f"## {name}" in readme
    assert "`backtesting` package on PyPI (0.6.6" in readme
    assert "`backtesting/test/GOOG.csv`" in readme
    assert "github.com/mementum/backtrader @\nb853d7c9" in readme
    assert "licence GPL-3.0" in readme
    assert "origin is not stated" in readme
