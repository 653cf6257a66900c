"""The optimiser's search space: `--space` syntax, binding to a strategy, grid and samples."""

from __future__ import annotations

import pytest

from scalpbot.backtest.optimize_space import (
    Space,
    bind_fixed,
    bind_space,
    parse_space_item,
    strategy_space,
)
from scalpbot.domain import ConfigError
from scalpbot.strategies import BUILTINS, IntParam, SearchRange, Strategy
from scalpbot.strategies.builtin.breakout import Breakout
from scalpbot.strategies.builtin.ma_cross import MACross
from scalpbot.strategies.builtin.rsi_reversion import RSIReversion


def space(*items: str, strategy: type[Strategy] = MACross) -> Space:
    return bind_space(strategy, [parse_space_item(item) for item in items], {})


def test_int_range_with_step() -> None:
    name, found = parse_space_item("fast=5..30:5")
    assert name == "fast"
    assert found.values() == (5, 10, 15, 20, 25, 30)
    assert all(type(v) is int for v in found.values())


def test_step_defaults_to_one_and_high_need_not_be_on_the_grid() -> None:
    assert parse_space_item("fast=3..6")[1].values() == (3, 4, 5, 6)
    assert parse_space_item("fast=5..17:5")[1].values() == (5, 10, 15)


def test_decimal_range_is_exact() -> None:
    _, found = parse_space_item("oversold=0.1..0.3:0.1")
    assert found.values() == (0.1, 0.2, 0.3)  # binary float steps would give 0.30000000000000004
    _, found = parse_space_item("stop_atr = 0.5 .. 2 : 0.5")
    assert found.values() == (0.5, 1.0, 1.5, 2.0)


def test_list_of_values() -> None:
    _, found = parse_space_item("kind=sma,ema")
    assert found.values() == ("sma", "ema")
    bound = space("kind=sma, ema", "fast=5,7,7")
    assert bound.to_json_dict() == {"kind": ["sma", "ema"], "fast": [5, 7]}  # typed, deduplicated


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("fast", "expected NAME=LO..HI:STEP or NAME=A,B,C"),
        ("=5..10", "expected NAME=LO..HI:STEP"),
        ("fast=", "no values after '='"),
        ("fast=5..x:5", "high 'x' is not a number"),
        ("fast=a..10", "low 'a' is not a number"),
        ("fast=5..10:", "step '' is not a number"),
        ("fast=5..10:0", "step must be positive"),
        ("fast=5..10:-1", "step must be positive"),
        ("fast=10..5", "low 10 is above high 5"),
        ("fast=1..10:nan", "step 'nan' is not a finite number"),
        ("fast=5,,7", "empty value in the list"),
        ("fast=1..1000000000", "at most 100,000 per parameter"),
    ],
)
def test_bad_space_text_names_the_bad_part(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_space_item(text)
    assert fragment in str(caught.value)
    assert repr(text) in str(caught.value) or "=" not in text


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        (["fsat=5..10"], "strategy 'ma_cross' has no parameter 'fsat'; its parameters: fast,"),
        (["fast=0..10:5"], "--space fast=0..10:5: parameter 'fast': 0 is below the minimum 1"),
        (["fast=5..10:2.5"], "parameter 'fast': 7.5 is not a valid int"),
        (["kind=sma,wma"], "'wma' is not one of sma, ema"),
        (["fast=5..10", "fast=6..8"], "'fast' is swept twice"),
    ],
)
def test_values_the_strategy_refuses_are_errors_before_any_run(
    items: list[str], fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        space(*items)
    assert fragment in str(caught.value)


def test_a_param_both_fixed_and_swept_is_refused() -> None:
    fixed = bind_fixed(MACross, {"fast": "10"})
    assert fixed == {"fast": 10}
    with pytest.raises(ConfigError, match="'fast' is also fixed by --param"):
        bind_space(MACross, [parse_space_item("fast=5..10")], fixed)
    with pytest.raises(ConfigError, match="has no parameter nope"):
        bind_fixed(MACross, {"nope": "1"})


def test_grid_order_and_combination_index_agree() -> None:
    bound = space("fast=5..15:5", "slow=20..40:10", "kind=sma,ema")
    assert bound.size == 18
    grid = list(bound.grid())
    assert grid[:3] == [
        {"fast": 5, "slow": 20, "kind": "sma"},
        {"fast": 5, "slow": 20, "kind": "ema"},
        {"fast": 5, "slow": 30, "kind": "sma"},
    ]
    assert [bound.combination(i) for i in range(bound.size)] == grid
    with pytest.raises(IndexError):
        bound.combination(18)


def test_samples_are_distinct_and_reproducible() -> None:
    bound = space("fast=1..100", "slow=2..200")
    first = bound.sample(50, seed=7)
    assert len({tuple(p.values()) for p in first}) == 50
    assert bound.sample(50, seed=7) == first
    assert bound.sample(50, seed=8) != first
    small = space("fast=5..10:5")
    assert sorted(p["fast"] for p in small.sample(10, seed=0)) == [5, 10]


def test_builtins_declare_a_search_space_of_their_own_params() -> None:
    for cls in BUILTINS.values():
        bound = strategy_space(cls, {})
        assert 10 <= bound.size <= 200, cls.name
        assert set(bound.names) <= set(cls.declared_params())
    assert strategy_space(MACross, {}).describe() == "fast=5..30:5 slow=20..100:10"
    assert strategy_space(RSIReversion, {}).names == ("period", "oversold", "overbought")
    assert strategy_space(Breakout, {}).to_json_dict()["stop_atr"] == [0.0, 1.0, 2.0, 3.0]


def test_default_space_leaves_out_what_param_fixes() -> None:
    assert strategy_space(MACross, {"fast": 10}).names == ("slow",)
    with pytest.raises(ConfigError, match="has every ranged parameter fixed by --param"):
        strategy_space(MACross, {"fast": 10, "slow": 50})


def test_a_strategy_without_ranges_needs_space() -> None:
    class Plain(Strategy):
        period = IntParam(10, low=1, high=50)

    with pytest.raises(ConfigError, match="'Plain' declares no search ranges: give --space"):
        strategy_space(Plain, {})


def test_search_range_checks_itself() -> None:
    with pytest.raises(ConfigError, match="either low/high or choices"):
        SearchRange(1, 5, choices=("a",))
    with pytest.raises(ConfigError, match="needs low and high"):
        SearchRange(1)
    with pytest.raises(ConfigError, match="finite number"):
        SearchRange(1, float("inf"))
    assert SearchRange(choices=("a", "b", "a")).values() == ("a", "b")
    assert SearchRange(5, 30, 5).describe() == "5..30:5"
