"""The options of a backtest run, shared by `scalpbot backtest` and `scalpbot optimize`.

Both commands describe the same thing (data, strategy, fixed parameters, instrument, money,
fills), so the options are declared once here and reach the command as one `BacktestSetup`:

    @click.command("backtest")
    @backtest_setup_options
    @home_option
    def backtest_command(setup: BacktestSetup, home: Path) -> None:
        config = setup.config()
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from scalpbot.backtest.runner import BacktestConfig
from scalpbot.brokers.paper import PaperConfig
from scalpbot.cli.errors import fail
from scalpbot.domain import Exchange, Instrument, InstrumentType, Product, parse_enum
from scalpbot.strategies.params import parse_assignments

if TYPE_CHECKING:
    from scalpbot.store import Store

__all__ = ["BacktestSetup", "backtest_setup_options", "home_store", "positive_decimal"]

R = TypeVar("R")


def positive_decimal(name: str, text: str) -> Decimal:
    """`text` as a positive Decimal, or a one-line `--name: ...` error (exit 2)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        fail(f"--{name}: {text!r} is not a number")
        raise
    if not value.is_finite() or value <= 0:
        fail(f"--{name}: must be a positive number, got {text}")
    return value


@dataclass(frozen=True, slots=True)
class BacktestSetup:
    """The shared options as given on the command line (texts are checked when used)."""

    data_path: str
    strategy: str
    params: tuple[str, ...]
    quantity: int
    cash: str
    charges: str
    product: str
    symbol: str | None
    exchange: str
    instrument_type: str
    tick_size: str
    lot_size: int
    slippage_ticks: int

    def fixed_params(self) -> dict[str, str]:
        """`--param` as a dict; a malformed item is a ConfigError naming it."""
        return dict(parse_assignments(self.params))

    def instrument(self) -> Instrument:
        """What the data is: the symbol defaults to the file's name."""
        return Instrument(
            parse_enum(Exchange, self.exchange),
            (self.symbol or Path(self.data_path).stem).upper(),
            parse_enum(InstrumentType, self.instrument_type),
            tick_size=positive_decimal("tick-size", self.tick_size),
            lot_size=self.lot_size,
        )

    def config(self) -> BacktestConfig:
        return BacktestConfig(
            instrument=self.instrument(),
            cash=positive_decimal("cash", self.cash),
            quantity=self.quantity,
            charges=self.charges,
            product=parse_enum(Product, self.product),
            paper=PaperConfig(slippage_ticks=self.slippage_ticks),
        )


_OPTIONS: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
    click.option(
        "--data",
        "data_path",
        required=True,
        type=click.Path(dir_okay=False),
        help="CSV or Parquet file of bars.",
    ),
    click.option("--strategy", required=True, help="Built-in name or path/to/file.py:ClassName."),
    click.option(
        "--param",
        "params",
        multiple=True,
        metavar="NAME=VALUE",
        help="Strategy parameter (repeatable).",
    ),
    click.option(
        "--quantity",
        default=1,
        show_default=True,
        type=click.IntRange(min=1),
        help="Quantity per entry (a multiple of the lot size).",
    ),
    click.option("--cash", default="100000", show_default=True, help="Starting cash in rupees."),
    click.option(
        "--charges",
        default="zerodha",
        show_default=True,
        type=click.Choice(["none", "zerodha"]),
        help="Charges model.",
    ),
    click.option(
        "--product",
        default="MIS",
        show_default=True,
        type=click.Choice(["MIS", "CNC", "NRML"], case_sensitive=False),
    ),
    click.option("--symbol", default=None, help="Instrument symbol (default: the file's name)."),
    click.option(
        "--exchange",
        default="NSE",
        show_default=True,
        type=click.Choice([e.value for e in Exchange], case_sensitive=False),
    ),
    click.option(
        "--instrument-type",
        default="EQ",
        show_default=True,
        type=click.Choice([t.value for t in InstrumentType], case_sensitive=False),
    ),
    click.option("--tick-size", default="0.01", show_default=True, help="Price tick of the data."),
    click.option("--lot-size", default=1, show_default=True, type=click.IntRange(min=1)),
    click.option(
        "--slippage-ticks",
        default=0,
        show_default=True,
        type=click.IntRange(min=0),
        help="Adverse slippage on market and stop fills, in ticks.",
    ),
]
_FIELDS = tuple(f.name for f in fields(BacktestSetup))


def backtest_setup_options(func: Callable[..., R]) -> Callable[..., R]:
    """Add the shared options (listed first in --help, in this order); the command receives
    them as one keyword argument `setup: BacktestSetup`."""

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> R:
        setup = BacktestSetup(**{name: kwargs.pop(name) for name in _FIELDS})
        return func(setup=setup, **kwargs)

    decorated: Callable[..., R] = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated


@contextmanager
def home_store(home: Path) -> Iterator[Store]:
    """The home's database (created and migrated if needed), closed when the block ends."""
    from scalpbot.config import load_settings
    from scalpbot.runtime.home_store import open_home_store

    settings = load_settings(home)
    home.mkdir(parents=True, exist_ok=True)
    store = open_home_store(settings, home)
    try:
        yield store
    finally:
        store.close()
