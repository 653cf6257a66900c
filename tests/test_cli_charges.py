"""`scalpbot charges`: the table, the JSON, and one-line errors, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from scalpbot.cli import main

SCALPBOT = Path(sys.executable).with_name("scalpbot")
WORKED = [
    "--segment",
    "equity_intraday",
    "--exchange",
    "NSE",
    "--buy",
    "1400",
    "--sell",
    "1410",
    "--qty",
    "100",
    "--date",
    "2025-06-02",
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCALPBOT), "charges", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_table_lists_every_line_total_and_net_pnl_aligned() -> None:
    done = run(*WORKED)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    rows = done.stdout.splitlines()
    assert "equity_intraday on NSE, 2025-06-02" in rows[0]
    values = {
        line.rsplit(None, 1)[0]: line.rsplit(None, 1)[1]
        for line in rows[1:]
        if not line.startswith("-")
    }
    assert values == {
        "Brokerage": "40.00",
        "STT": "35.00",
        "Exchange txn": "8.63",
        "SEBI fee": "0.28",
        "GST": "8.80",
        "Stamp duty": "4.20",
        "DP charges": "0.00",
        "Total charges": "96.91",
        "Gross P&L": "1000.00",
        "Net P&L": "903.09",
    }
    # Aligned: every figure ends in the same column.
    assert len({len(line) for line in rows[1:]}) == 1


def test_json_has_the_documented_keys_with_two_decimals() -> None:
    done = run(*WORKED, "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout, parse_float=Decimal)
    assert list(document) == [
        "brokerage",
        "stt",
        "exchange_txn",
        "sebi",
        "gst",
        "stamp",
        "dp",
        "total",
        "net_pnl",
    ]
    assert document["total"] == Decimal("96.91")
    assert document["net_pnl"] == Decimal("903.09")
    assert all(value.as_tuple().exponent == -2 for value in document.values())
    assert '"brokerage": 40.00' in done.stdout


def test_delivery_on_bse_shows_the_dp_charge_and_a_loss() -> None:
    done = run(
        "--segment",
        "equity_delivery",
        "--exchange",
        "bse",
        "--buy",
        "100",
        "--sell",
        "100",
        "--qty",
        "10",
        "--date",
        "2025-06-02",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout, parse_float=Decimal)
    assert document["dp"] == Decimal("15.93")
    assert document["net_pnl"] == -document["total"]


def test_date_defaults_to_today() -> None:
    done = run("--segment", "options", "--buy", "100", "--sell", "110", "--qty", "75")
    assert done.returncode == 0, done.stderr
    assert "Net P&L" in done.stdout


BAD_ARGUMENTS = [
    (["--segment", "intraday"], "--segment"),
    (["--exchange", "MCX"], "--exchange"),
    (["--buy", "-5"], "--buy"),
    (["--sell", "0"], "--sell"),
    (["--buy", "abc"], "--buy"),
    (["--qty", "0"], "--qty"),
    (["--qty", "ten"], "--qty"),
    (["--date", "2025-13-01"], "--date"),
    (["--date", "02/06/2025"], "--date"),
]


def with_override(override: list[str]) -> list[str]:
    args = list(WORKED)
    for name, value in zip(override[::2], override[1::2], strict=True):
        args[args.index(name) + 1] = value
    return args


@pytest.mark.parametrize(("override", "named"), BAD_ARGUMENTS)
def test_bad_argument_is_one_line_naming_it(override: list[str], named: str) -> None:
    done = run(*with_override(override))
    assert done.returncode == 2
    assert done.stdout == ""
    error_lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1, done.stderr
    assert named in error_lines[0]


def test_missing_option_is_one_line_too() -> None:
    done = run("--segment", "futures", "--buy", "10", "--qty", "1")
    assert done.returncode == 2
    assert [line for line in done.stderr.splitlines() if line.strip()] == [
        "error: Missing option '--sell'."
    ]


def test_through_click_runner() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["charges", *WORKED, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == 96.91

    bad = runner.invoke(main, ["charges", *with_override(["--qty", "-3"])])
    assert bad.exit_code == 2
    assert bad.stdout == ""
    error_lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and "--qty" in error_lines[0]


def test_listed_in_the_top_level_help() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "charges" in result.stdout
