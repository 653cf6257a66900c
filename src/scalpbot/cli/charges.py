"""`scalpbot charges`: what one round trip costs, line by line, and the P&L left after it.

A trader checks here whether a scalp of a few ticks pays for itself before writing a strategy
for it, so the figures come from the same charges model the engine books fills with.

Every bad argument ends in ONE line on stderr (`error: --qty: ...`) and exit code 2, also for
the errors click finds itself (a missing option, a choice not offered), which click would
otherwise print with the usage text around them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from scalpbot.cli.errors import fail, one_line_errors
from scalpbot.domain import IST, Exchange
from scalpbot.market.charges import ChargeBreakdown, Segment, round_trip_charges

PAISA = Decimal("0.01")

#: Table labels of the breakdown's lines, in contract-note order.
LINES: tuple[tuple[str, str], ...] = (
    ("brokerage", "Brokerage"),
    ("stt", "STT"),
    ("exchange_txn", "Exchange txn"),
    ("sebi", "SEBI fee"),
    ("gst", "GST"),
    ("stamp", "Stamp duty"),
    ("dp", "DP charges"),
)


class OneLineErrorsCommand(click.Command):
    """A command whose argument errors are reported as one `error:` line (exit code 2)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            fail(exc.format_message())
            raise  # unreachable: fail exits


def _price(name: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        fail(f"--{name}: {text!r} is not a number")
        raise
    if not value.is_finite() or value <= 0:
        fail(f"--{name}: must be a positive price, got {text}")
    return value


def _date(text: str | None) -> date:
    if text is None:
        return datetime.now(IST).date()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        fail(f"--date: {text!r} is not a date in the form YYYY-MM-DD")
        raise


def _money(value: Decimal) -> str:
    return str(value.quantize(PAISA))


def render_table(breakdown: ChargeBreakdown, gross: Decimal, heading: str) -> list[str]:
    """The breakdown, total, gross and net P&L as right-aligned lines under `heading`."""
    values = breakdown.to_dict()
    rows = [(label, values[key]) for key, label in LINES]
    rows += [("Total charges", breakdown.total), ("Gross P&L", gross)]
    rows.append(("Net P&L", gross - breakdown.total))
    label_width = max(len(label) for label, _ in rows)
    value_width = max(len(_money(value)) for _, value in rows)
    lines = [heading]
    for index, (label, value) in enumerate(rows):
        if index in (len(LINES), len(LINES) + 1):
            lines.append("-" * (label_width + 2 + value_width))
        lines.append(f"{label:<{label_width}}  {_money(value):>{value_width}}")
    return lines


def render_json(breakdown: ChargeBreakdown, gross: Decimal) -> str:
    """A JSON object of every line, total and net P&L, each a number with two decimals."""
    values: dict[str, Decimal] = dict(breakdown.to_dict())
    values["net_pnl"] = gross - breakdown.total
    # json.dumps would print floats (40.0); Decimal text keeps the paise as written.
    body = ", ".join(f"{json.dumps(key)}: {_money(value)}" for key, value in values.items())
    return "{" + body + "}"


@click.command("charges", cls=OneLineErrorsCommand)
@click.option(
    "--segment",
    required=True,
    type=click.Choice([s.value for s in Segment], case_sensitive=False),
    help="How the trade is charged.",
)
@click.option(
    "--exchange",
    default="NSE",
    show_default=True,
    type=click.Choice([Exchange.NSE.value, Exchange.BSE.value], case_sensitive=False),
    help="Exchange whose transaction charges apply (F&O: NSE = NFO, BSE = BFO).",
)
@click.option("--buy", "buy_text", required=True, metavar="PRICE", help="Buy price (premium).")
@click.option("--sell", "sell_text", required=True, metavar="PRICE", help="Sell price (premium).")
@click.option("--qty", required=True, type=click.IntRange(min=1), help="Quantity (units).")
@click.option(
    "--date",
    "date_text",
    default=None,
    metavar="YYYY-MM-DD",
    help="Trade date, which selects the rates (default: today in IST).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
@one_line_errors
def charges_command(
    segment: str,
    exchange: str,
    buy_text: str,
    sell_text: str,
    qty: int,
    date_text: str | None,
    as_json: bool,
) -> None:
    """Charges of buying and selling QTY once each, line by line, and the net P&L."""
    buy = _price("buy", buy_text)
    sell = _price("sell", sell_text)
    trade_date = _date(date_text)
    breakdown = round_trip_charges(
        Segment(segment.lower()), Exchange(exchange.upper()), buy, sell, qty, trade_date
    )
    gross = (sell - buy) * qty
    if as_json:
        click.echo(render_json(breakdown, gross))
        return
    heading = (
        f"{segment.lower()} on {exchange.upper()}, {trade_date.isoformat()}: "
        f"buy {buy}, sell {sell}, qty {qty}"
    )
    for line in render_table(breakdown, gross, heading):
        click.echo(line)
