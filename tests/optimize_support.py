"""Helpers shared by the optimiser tests (this module holds no tests itself)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

from scalpbot.data import BarSeries, sample_path

SAMPLE = str(sample_path("2006-min-005.txt"))
#: A 3x3 sweep of the MA cross on the bundled sample.
SWEEP_3X3 = ("--space", "fast=5..15:5", "--space", "slow=20..40:10", "--param", "long_only=false")


class CountingSeries(BarSeries):
    """A BarSeries that counts how often it is pickled in this (the parent) process, to prove
    an executor ships the bars once per worker rather than once per trial. It unpickles as a
    plain BarSeries, so workers need not import this module."""

    pickled: ClassVar[int] = 0

    def __reduce__(self) -> tuple[Any, ...]:
        CountingSeries.pickled += 1
        columns = (self.ts, self.open, self.high, self.low, self.close, self.volume)
        return (BarSeries, (*columns, self.source))


def counting(series: BarSeries) -> CountingSeries:
    return CountingSeries(
        series.ts, series.open, series.high, series.low, series.close, series.volume,
        series.source,
    )  # fmt: skip


def optimize_saved(home: Path, out: Path, *args: str) -> tuple[str, dict[str, Any]]:
    """Run `scalpbot optimize --save` of the MA cross on the sample into `home` (with `args`
    giving the space); the sweep id it printed and its JSON."""
    command = [
        sys.executable, "-m", "scalpbot", "optimize", "--data", SAMPLE, "--strategy", "ma_cross",
        *args, "--save", "--home", str(home), "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    found = re.search(r"^sweep ([0-9a-f]+): .*/strategies#sweep=\1$", done.stdout, re.MULTILINE)
    assert found, done.stdout
    document: dict[str, Any] = json.loads(out.read_text())
    return found.group(1), document
