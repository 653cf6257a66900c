"""Parameter sweeps through the API: a sweep stored by the real `scalpbot optimize --save`
(a subprocess writing the home's SQLite file), then listed and read back with its grid, whose
figures must be the command's own JSON; plain backtests are not sweeps; login required; an
unknown id is a 404 naming it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from api_support import SCALPBOT, Api, make_home
from optimize_support import SWEEP_3X3, optimize_saved
from scalpbot.data import sample_path

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.anyio

DATA = str(sample_path("2006-min-005.txt"))
SWEEP = list(SWEEP_3X3)


def optimize(home: Path, out: Path, *args: str) -> tuple[str, dict[str, Any]]:
    return optimize_saved(home, out, *args)


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, Any]]:
    """A home holding one 3×3 sweep (run once per module; each test copies the home)."""
    root = tmp_path_factory.mktemp("swept")
    home = make_home(root / "home")
    sweep_id, document = optimize(home, root / "sweep.json", *SWEEP)
    return home, sweep_id, document


@pytest.fixture
def home(swept: tuple[Path, str, dict[str, Any]], tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(swept[0], copy)
    return copy


def _by_params(document: dict[str, Any]) -> dict[tuple[int, int], dict[str, Any]]:
    return {(r["params"]["fast"], r["params"]["slow"]): r for r in document["results"]}


async def test_the_sweep_is_listed_and_read_back_with_the_commands_figures(
    authed: Api, swept: tuple[Path, str, dict[str, Any]]
) -> None:
    _, sweep_id, document = swept
    listed = await authed.client.get("/api/optimizations")
    assert listed.status_code == 200, listed.text
    (summary,) = listed.json()["optimizations"]
    assert summary["id"] == sweep_id
    assert summary["strategy"] == "ma_cross"
    assert summary["data_source"] == str(Path(DATA).resolve())
    assert summary["instrument"] == document["instrument"] == "NSE:2006-MIN-005"
    assert (summary["objective"], summary["method"], summary["study"]) == ("net_pnl", "grid", None)
    assert summary["parameters"] == ["fast", "slow"]
    assert (summary["trials"], summary["skipped"]) == (9, 0) == (document["trials"], 0)
    best = summary["best"]
    # A run's params are all the strategy ran with: the command's plus the defaults.
    assert best["params"] == {**best["params"], **document["best"]["params"]}
    assert best["params"]["kind"] == "sma"
    assert best["net_pnl"] == best["value"] == document["best"]["net_pnl"]
    assert re.match(r"\d{4}-\d\d-\d\dT", summary["created_at"])

    answer = await authed.client.get(f"/api/optimizations/{sweep_id}")
    assert answer.status_code == 200, answer.text
    detail = answer.json()
    assert {k: detail[k] for k in summary} == summary
    assert detail["space"] == document["space"] == {"fast": [5, 10, 15], "slow": [20, 30, 40]}
    assert detail["centre"] == 0
    # Every trial, best first, exactly as the command ranked and reported them.
    assert [(r["params"], r["net_pnl"], r["value"]) for r in detail["results"]] == [
        ({**r["params"], "kind": "sma"}, r["net_pnl"], r["net_pnl"]) for r in document["results"]
    ]
    assert [r["trades_stored"] for r in detail["results"]] == [True] + [False] * 8
    assert all(r["trades"] > 0 for r in detail["results"])

    grid = detail["grid"]
    assert (grid["x"], grid["y"]) == ("fast", "slow")
    assert (grid["x_values"], grid["y_values"]) == ([5, 10, 15], [20, 30, 40])
    cells = _by_params(document)
    assert grid["values"] == [
        [cells[(x, y)]["net_pnl"] for y in grid["y_values"]] for x in grid["x_values"]
    ]
    assert len(grid["values"]) == 3 and all(len(row) == 3 for row in grid["values"])
    assert grid["skipped"] == [[None] * 3] * 3
    flat = [v for row in grid["values"] for v in row]
    assert (grid["min"], grid["max"]) == (min(flat), max(flat))
    i, j = grid["best"]
    assert {"fast": grid["x_values"][i], "slow": grid["y_values"][j]}.items() <= best[
        "params"
    ].items()
    assert grid["run_ids"][i][j] == best["run_id"]

    # Each trial is an ordinary stored backtest run; the best one keeps its trades.
    run = (await authed.client.get(f"/api/backtests/{best['run_id']}")).json()
    assert run["params"] == best["params"] and len(run["trades"]) == run["metrics"]["trades"]
    other = grid["run_ids"][0][0]
    assert (await authed.client.get(f"/api/backtests/{other}")).json()["trades"] == []


async def test_later_sweeps_and_plain_backtests_are_read_as_they_come(
    authed: Api, tmp_path: Path
) -> None:
    api = authed
    first = (await api.client.get("/api/optimizations")).json()["optimizations"]
    assert len(first) == 1
    # A plain `scalpbot backtest --save` is a backtest run, not a sweep.
    command = [
        *SCALPBOT, "backtest", "--data", DATA, "--strategy", "ma_cross",
        "--save", "--home", str(api.home),
    ]  # fmt: skip
    plain = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert plain.returncode == 0, plain.stderr
    # fast=20 with slow=20 and fast=30 with either slow are refused (fast must be below slow).
    sweep_id, document = optimize(
        api.home, tmp_path / "second.json",
        "--space", "fast=10..30:10", "--space", "slow=20..30:10", "--space", "kind=ema",
        "--objective", "sharpe", "--workers", "1",
    )  # fmt: skip
    assert len(document["skipped"]) == 3

    listed = (await api.client.get("/api/optimizations")).json()["optimizations"]
    assert [s["id"] for s in listed] == [sweep_id, first[0]["id"]]
    assert listed[0]["parameters"] == ["fast", "slow", "kind"]
    assert (listed[0]["trials"], listed[0]["skipped"]) == (3, 3)
    assert listed[0]["best"]["value"] == document["best"]["sharpe"]
    runs = (await api.client.get("/api/backtests")).json()["backtests"]
    assert len(runs) == 9 + 1 + 3

    detail = (await api.client.get(f"/api/optimizations/{sweep_id}")).json()
    assert [(r["params"], r["value"]) for r in detail["results"]] == [
        ({**r["params"], "long_only": True}, r["sharpe"]) for r in document["results"]
    ]
    grid = detail["grid"]  # kind has one value: fast and slow are the two that vary
    assert (grid["x"], grid["y"], grid["x_values"], grid["y_values"]) == (
        "fast", "slow", [10, 20, 30], [20, 30],
    )  # fmt: skip
    ran = _by_params(document)
    for i, x in enumerate(grid["x_values"]):
        for j, y in enumerate(grid["y_values"]):
            if (x, y) in ran:
                assert grid["values"][i][j] == ran[(x, y)]["sharpe"]
                assert grid["skipped"][i][j] is None
            else:
                assert grid["values"][i][j] is None and grid["run_ids"][i][j] is None
                assert "must be below slow" in grid["skipped"][i][j]
    assert sum(reason is not None for row in grid["skipped"] for reason in row) == 3


async def test_a_sweep_of_one_varying_parameter_has_no_grid(authed: Api, tmp_path: Path) -> None:
    sweep_id, _ = optimize(
        authed.home, tmp_path / "one.json",
        "--space", "fast=5,10", "--param", "slow=40", "--workers", "1",
    )  # fmt: skip
    detail = (await authed.client.get(f"/api/optimizations/{sweep_id}")).json()
    assert detail["parameters"] == ["fast"] and detail["grid"] is None
    assert len(detail["results"]) == 2


async def test_sweeps_need_a_login(api: Api, swept: tuple[Path, str, dict[str, Any]]) -> None:
    for path in ("/api/optimizations", f"/api/optimizations/{swept[1]}", "/partials/sweeps"):
        answer = await api.client.get(path)
        assert answer.status_code == 401, path


async def test_an_unknown_sweep_is_a_404_naming_it(authed: Api) -> None:
    for bad in ("0123456789ab", "1", "nope"):
        answer = await authed.client.get(f"/api/optimizations/{bad}")
        assert answer.status_code == 404, answer.text
        detail = answer.json()["detail"]
        assert f"no parameter sweep with id {bad!r}" in detail
        assert "GET /api/optimizations" in detail
    assert (await authed.client.get("/api/optimizations/" + "a" * 65)).status_code == 422


async def test_the_strategies_page_lists_the_sweep(
    api: Api, swept: tuple[Path, str, dict[str, Any]]
) -> None:
    await api.login()
    partial = await api.client.get("/partials/sweeps")
    assert partial.status_code == 200
    assert f'<tr data-sweep-id="{swept[1]}">' in partial.text
    assert 'data-count="1"' in partial.text
    backtests = (await api.client.get("/partials/backtests")).text
    assert f'data-sweep-link="{swept[1]}"' in backtests
    page = (await api.client.get("/strategies")).text
    assert 'id="sweep-list"' in page and "/static/js/sweeps.js" in page


async def test_a_random_sweep_leaves_untried_cells_empty(authed: Api, tmp_path: Path) -> None:
    sweep_id, document = optimize(
        authed.home, tmp_path / "random.json", *SWEEP,
        "--method", "random", "--trials", "4", "--seed", "1", "--workers", "1",
    )  # fmt: skip
    grid = (await authed.client.get(f"/api/optimizations/{sweep_id}")).json()["grid"]
    assert (grid["x_values"], grid["y_values"]) == ([5, 10, 15], [20, 30, 40])  # the space
    ran = _by_params(document)
    assert len(ran) == 4
    for i, x in enumerate(grid["x_values"]):
        for j, y in enumerate(grid["y_values"]):
            expected = ran[(x, y)]["net_pnl"] if (x, y) in ran else None
            assert grid["values"][i][j] == expected
            assert (grid["run_ids"][i][j] is None) == ((x, y) not in ran)
            assert grid["skipped"][i][j] is None  # not tried is not refused


async def test_runs_without_a_usable_sweep_id_are_not_sweeps(authed: Api) -> None:
    """Runs saved before sweeps had ids, or edited by hand, are backtests, not sweeps."""
    store = authed.context.store
    for entry in ({"method": "grid", "trial": 0}, {"sweep": 42}, {"sweep": ""}, "grid"):
        summary = {"strategy": "ma_cross", "params": {}, "optimisation": entry}
        store.backtests.add("ma_cross", {}, "x.csv", {"net_pnl": 1.0}, [], summary)
    listed = (await authed.client.get("/api/optimizations")).json()["optimizations"]
    assert len(listed) == 1  # the module's sweep only
    assert len((await authed.client.get("/api/backtests")).json()["backtests"]) == 9 + 4
