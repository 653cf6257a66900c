"""The search space of an optimisation: `--space` text → typed, checked dimensions.

Two steps, so each error names what was wrong before any backtest runs: `parse_space_item`
checks the syntax (`fast=5..30:5`, `kind=sma,ema`), `bind_space` checks every value against
the strategy's declared parameter (unknown name, outside its bounds, wrong type). A value the
strategy accepts alone but not with another (fast >= slow) is left to the trial, which records
the combination as skipped: only the strategy's `validate` knows its constraints.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from scalpbot.domain import ConfigError
from scalpbot.strategies import SearchRange, SearchValue, Strategy

__all__ = [
    "Dimension",
    "Space",
    "bind_fixed",
    "bind_space",
    "parse_space_item",
    "strategy_space",
]

_INT = re.compile(r"[+-]?\d+")
DimensionKind = Literal["int", "float", "choice"]


@dataclass(frozen=True, slots=True)
class Dimension:
    """One swept parameter: its candidate values, already parsed by the strategy's `Param`.

    `kind` tells a model-based sampler (Optuna) whether the values are an ordered numeric
    range (`int`, `float`: nearby values behave alike) or unordered choices.
    """

    name: str
    values: tuple[SearchValue, ...]
    source: SearchRange
    kind: DimensionKind

    def describe(self) -> str:
        return f"{self.name}={self.source.describe()}"


@dataclass(frozen=True, slots=True)
class Space:
    """The cartesian product of the dimensions, addressable by a combination's index."""

    dimensions: tuple[Dimension, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    @property
    def size(self) -> int:
        """How many combinations there are (the grid's trial count)."""
        total = 1
        for dimension in self.dimensions:
            total *= len(dimension.values)
        return total

    def combination(self, index: int) -> dict[str, SearchValue]:
        """The `index`-th combination in grid order (the last dimension varies fastest)."""
        if not 0 <= index < self.size:
            raise IndexError(f"combination {index} outside 0..{self.size - 1}")
        chosen: dict[str, SearchValue] = {}
        for dimension in reversed(self.dimensions):
            index, digit = divmod(index, len(dimension.values))
            chosen[dimension.name] = dimension.values[digit]
        return {name: chosen[name] for name in self.names}

    def grid(self) -> Iterator[dict[str, SearchValue]]:
        """Every combination, in grid order."""
        for values in itertools.product(*(d.values for d in self.dimensions)):
            yield dict(zip(self.names, values, strict=True))

    def sample(self, count: int, seed: int) -> list[dict[str, SearchValue]]:
        """`count` distinct combinations (all of them if there are fewer), drawn by `seed`.

        Drawing indices without replacement keeps the samples distinct and costs nothing even
        when the space has billions of combinations.
        """
        indices = random.Random(seed).sample(range(self.size), min(count, self.size))
        return [self.combination(i) for i in indices]

    def describe(self) -> str:
        """`fast=5..30:5 slow=20..100:10`: the space as `--space` text."""
        return " ".join(d.describe() for d in self.dimensions)

    def to_json_dict(self) -> dict[str, list[SearchValue]]:
        return {d.name: list(d.values) for d in self.dimensions}


def parse_space_item(text: str) -> tuple[str, SearchRange]:
    """`fast=5..30:5` (step defaults to 1), `stop=0.5..2:0.25` or `kind=sma,ema`; ConfigError
    naming the bad part otherwise. List items stay text: the strategy's `Param` parses them."""
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name:
        raise ConfigError(f"{text!r}: expected NAME=LO..HI:STEP or NAME=A,B,C")
    if not spec:
        raise ConfigError(f"{text!r}: no values after '='")
    if ".." in spec:
        bounds, colon, step_text = spec.partition(":")
        low_text, _, high_text = bounds.partition("..")
        low = _number(text, "low", low_text)
        high = _number(text, "high", high_text)
        step = _number(text, "step", step_text) if colon else 1
        try:
            return name, SearchRange(low, high, step)
        except ConfigError as exc:
            raise ConfigError(f"{text!r}: {exc}") from None
    items = [item.strip() for item in spec.split(",")]
    if not all(items):
        raise ConfigError(f"{text!r}: empty value in the list")
    return name, SearchRange(choices=tuple(items))


def bind_fixed(strategy: type[Strategy], raw: Mapping[str, Any]) -> dict[str, Any]:
    """`--param` values parsed by the strategy's declared parameters (for reporting them typed);
    an unknown name is the same error `scalpbot backtest` gives."""
    declared = strategy.declared_params()
    unknown = sorted(set(raw) - set(declared))
    if unknown:
        raise ConfigError(
            f"strategy {strategy.strategy_name()!r} has no parameter {', '.join(unknown)}; "
            f"its parameters: {', '.join(declared) or 'none'}"
        )
    return {name: declared[name].parse(value) for name, value in raw.items()}


def bind_space(
    strategy: type[Strategy],
    ranges: Sequence[tuple[str, SearchRange]],
    fixed: Mapping[str, Any],
) -> Space:
    """Check `ranges` against the strategy's parameters and parse every value with them."""
    declared = strategy.declared_params()
    seen: set[str] = set()
    dimensions = []
    for name, source in ranges:
        where = f"--space {name}={source.describe()}"
        if name in seen:
            raise ConfigError(f"{where}: {name!r} is swept twice; give it one --space")
        seen.add(name)
        if name not in declared:
            raise ConfigError(
                f"{where}: strategy {strategy.strategy_name()!r} has no parameter {name!r}; "
                f"its parameters: {', '.join(declared) or 'none'}"
            )
        if name in fixed:
            raise ConfigError(f"{where}: {name!r} is also fixed by --param; give one or the other")
        param = declared[name]
        try:
            values = tuple(dict.fromkeys(param.parse(raw) for raw in source.values()))
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        kind: DimensionKind = "choice"
        if source.is_range and param.kind in ("int", "float"):
            kind = "int" if param.kind == "int" else "float"
        dimensions.append(Dimension(name, values, source, kind))
    if not dimensions:
        raise ConfigError("the search space is empty: give at least one --space NAME=LO..HI:STEP")
    return Space(tuple(dimensions))


def strategy_space(strategy: type[Strategy], fixed: Mapping[str, Any]) -> Space:
    """The space the strategy declares in `search_space`, less the parameters `--param` fixes."""
    ranges = [(n, r) for n, r in strategy.search_space.items() if n not in fixed]
    if not ranges:
        what = "declares no search ranges" if not strategy.search_space else "has every ranged"
        tail = "" if not strategy.search_space else " parameter fixed by --param"
        raise ConfigError(
            f"strategy {strategy.strategy_name()!r} {what}{tail}: give --space NAME=LO..HI:STEP "
            "(or declare search_space on the class)"
        )
    return bind_space(strategy, ranges, fixed)


def _number(text: str, label: str, part: str) -> int | float:
    """An int when written as one (so int parameters get ints), else an exact decimal."""
    part = part.strip()
    if _INT.fullmatch(part):
        return int(part)
    try:
        value = Decimal(part)
    except InvalidOperation:
        raise ConfigError(f"{text!r}: {label} {part!r} is not a number") from None
    if not value.is_finite():
        raise ConfigError(f"{text!r}: {label} {part!r} is not a finite number")
    return float(value)
