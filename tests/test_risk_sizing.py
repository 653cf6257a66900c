"""Risk-based position sizing: the loss at the stop stays within the budget, in whole lots."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scalpbot.engine.sizing import round_to_lot, size_by_risk

D = Decimal


@pytest.mark.parametrize(
    ("capital", "risk_pct", "entry", "stop", "lot", "expected"),
    [
        # 1% of 1,00,000 = 1,000 at risk; 5 a share -> 200 shares.
        (D(100_000), 1.0, D(500), D(495), 1, 200),
        # A short: stop above entry, same distance, same size.
        (D(100_000), 1.0, D(500), D(505), 1, 200),
        # Not a whole number of units: 1,000 / 3 = 333.33 -> 333 (never rounded up).
        (D(100_000), 1.0, D(100), D(97), 1, 333),
        # Paise-sized stops stay exact: 500 / 0.05 = 10,000.
        (D(50_000), 1.0, D("250.10"), D("250.05"), 1, 10_000),
        # Lots: 200 units fit, lot of 75 -> 2 lots = 150.
        (D(100_000), 1.0, D(500), D(495), 75, 150),
        # Exactly one lot fits: 1,000 / 20 = 50 with a lot of 50.
        (D(100_000), 1.0, D(1000), D(980), 50, 50),
        # One lot is too risky: 1,000 / 20 = 49.9... below a lot of 50 -> 0.
        (D(99_999), 1.0, D(1000), D(980), 50, 0),
        # Fractional risk percentage is taken exactly: 0.25% of 2,00,000 = 500; 500 / 2.5 = 200.
        (D(200_000), 0.25, D(100), D("97.5"), 1, 200),
        # Integer risk percentage.
        (D(100_000), 2, D(100), D(90), 25, 200),
    ],
)
def test_size_by_risk_table(
    capital: Decimal, risk_pct: float, entry: Decimal, stop: Decimal, lot: int, expected: int
) -> None:
    quantity = size_by_risk(capital, risk_pct, entry, stop, lot)
    assert quantity == expected
    assert quantity % lot == 0
    budget = capital * Decimal(str(risk_pct)) / 100
    assert quantity * abs(entry - stop) <= budget
    # One more lot would break the budget: the size is the largest that fits.
    assert (quantity + lot) * abs(entry - stop) > budget


def test_stop_equal_to_entry_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="stop_price equals entry_price"):
        size_by_risk(D(100_000), 1.0, D(500), D(500), 1)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"capital": D(0)}, "capital"),
        ({"capital": D(-5)}, "capital"),
        ({"capital": 100_000}, "capital"),  # not a Decimal: money is exact
        ({"risk_pct": 0.0}, "risk_pct"),
        ({"risk_pct": -1.0}, "risk_pct"),
        ({"risk_pct": 101.0}, "risk_pct"),
        ({"risk_pct": float("nan")}, "risk_pct"),
        ({"risk_pct": True}, "risk_pct"),
        ({"entry_price": D(0)}, "entry_price"),
        ({"stop_price": D("NaN")}, "stop_price"),
        ({"lot_size": 0}, "lot_size"),
        ({"lot_size": 1.5}, "lot_size"),
    ],
)
def test_bad_inputs_name_the_argument(kwargs: dict[str, object], named: str) -> None:
    args: dict[str, object] = {
        "capital": D(100_000),
        "risk_pct": 1.0,
        "entry_price": D(500),
        "stop_price": D(495),
        "lot_size": 1,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=named):
        size_by_risk(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("quantity", "lot", "expected"),
    [(0, 1, 0), (7, 1, 7), (149, 75, 75), (150, 75, 150), (74, 75, 0), (1_000, 15, 990)],
)
def test_round_to_lot_rounds_down(quantity: int, lot: int, expected: int) -> None:
    assert round_to_lot(quantity, lot) == expected


@pytest.mark.parametrize(("quantity", "lot"), [(-1, 1), (10, 0), (10, -75)])
def test_round_to_lot_refuses_bad_input(quantity: int, lot: int) -> None:
    with pytest.raises(ValueError):
        round_to_lot(quantity, lot)
