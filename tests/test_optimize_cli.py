"""`scalpbot optimize` as a user runs it: a real process, real files, a real home database."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import optuna
import pytest

from scalpbot.data import sample_path
from scalpbot.store import Store

SCALPBOT = [sys.executable, "-m", "scalpbot"]
DATA = str(sample_path("2006-min-005.txt"))
MA_SPACE = ["--space", "fast=5..30:5", "--space", "slow=20..100:10"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCALPBOT, *args], capture_output=True, text=True, timeout=120)


def optimize(*args: str) -> subprocess.CompletedProcess[str]:
    return run("optimize", "--data", DATA, "--strategy", "ma_cross", *args)


def backtest_json(params: dict[str, Any], *extra: str) -> dict[str, Any]:
    flags = [f"--param={name}={value}" for name, value in params.items()]
    done = run("backtest", "--data", DATA, "--strategy", "ma_cross", *flags, *extra, "--json", "-")
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def test_grid_writes_json_and_a_report_with_a_heat_map(tmp_path: Path) -> None:
    out, report = tmp_path / "o.json", tmp_path / "o.html"
    done = optimize(
        *MA_SPACE, "--objective", "sharpe", "--workers", "2", "--walk-forward", "2",
        "--json", str(out), "--report", str(report),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert {"best", "results"} <= set(document)
    assert set(document["best"]) == {"params", "net_pnl", "sharpe"}
    assert all(set(r) == {"params", "net_pnl", "sharpe"} for r in document["results"])
    assert document["trials"] == 54 and len(document["skipped"]) == 4
    assert document["best"] == document["results"][0]
    assert len(document["walk_forward"]["folds"]) == 2
    # The best's net_pnl is the figure `scalpbot backtest` prints for the same parameters.
    direct = backtest_json(document["best"]["params"])
    assert document["best"]["net_pnl"] == direct["metrics"]["net_pnl"]
    assert document["best"]["sharpe"] == direct["metrics"]["sharpe"]
    # stdout: a table of the top results and the winning options.
    assert re.search(r"^\s*#\s+fast\s+slow\s+sharpe\s+net_pnl", done.stdout, re.MULTILINE)
    best = document["best"]["params"]
    assert f"--param fast={best['fast']} --param slow={best['slow']}" in done.stdout
    assert "walk-forward, 2 folds" in done.stdout
    page = report.read_text()
    assert "<table class='heatmap' data-objective='sharpe'>" in page
    assert page.count("<td class='skipped'") == 4 and "class='best'" in page
    assert "Walk-forward" in page and "http" not in page.replace(DATA, "")


def test_json_to_stdout_is_pure_json_and_the_space_defaults_to_the_strategys() -> None:
    done = optimize("--workers", "1", "--charges", "none", "--json", "-")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["space"] == {"fast": [5, 10, 15, 20, 25, 30], "slow": list(range(20, 101, 10))}
    assert document["objective"] == "net_pnl" and set(document["best"]) == {"params", "net_pnl"}
    direct = backtest_json(document["best"]["params"], "--charges", "none")
    assert document["best"]["net_pnl"] == direct["metrics"]["net_pnl"]


def test_backtest_options_reach_every_trial() -> None:
    done = optimize(
        "--space", "fast=5..10:5", "--param", "slow=40", "--param", "kind=ema", "--quantity", "4",
        "--lot-size", "2", "--cash", "50000", "--product", "NRML", "--slippage-ticks", "1",
        "--symbol", "demo", "--workers", "1", "--json", "-",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["instrument"] == "NSE:DEMO"
    assert all(
        r["params"]["slow"] == 40 and r["params"]["kind"] == "ema" for r in document["results"]
    )
    direct = backtest_json(
        document["best"]["params"], "--quantity", "4", "--lot-size", "2", "--cash", "50000",
        "--product", "NRML", "--slippage-ticks", "1", "--symbol", "demo",
    )  # fmt: skip
    assert document["best"]["net_pnl"] == direct["metrics"]["net_pnl"]
    assert direct["metrics"]["trades"] > 0 and direct["trades"][0]["quantity"] == 4


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--space", "fast=5..x:5"], "Invalid value for '--space': 'fast=5..x:5': high 'x'"),
        (["--space", "fast"], "'fast': expected NAME=LO..HI:STEP or NAME=A,B,C"),
        (["--objective", "cagr"], "Invalid value for '--objective'"),
        (["--scheduler", "localhost"], "expected an address like tcp://HOST:8786"),
    ],
)
def test_bad_options_are_usage_errors(extra: list[str], fragment: str) -> None:
    done = optimize(*extra)
    assert done.returncode == 2
    assert fragment in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--space", "fsat=5..10"], "strategy 'ma_cross' has no parameter 'fsat'"),
        (["--space", "fast=0..10:5"], "parameter 'fast': 0 is below the minimum 1"),
        (["--param", "fast=10", "--space", "fast=5..10"], "is also fixed by --param"),
        ([*MA_SPACE, "--trials", "10"], "the grid has 54 combinations, more than --trials 10"),
        (["--space", "fast=30..40:10", "--space", "slow=20..30:10"], "no trial ran"),
        (["--walk-forward", "500"], "use fewer folds or more data"),
    ],
)
def test_bad_sweeps_get_one_line(extra: list[str], fragment: str) -> None:
    done = optimize("--workers", "1", *extra)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], done.stderr


def test_optuna_study_in_the_home_resumes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    args = ["--method", "optuna", "--home", str(home), "--workers", "1", "--json", "-"]
    first = optimize(*MA_SPACE, *args, "--trials", "4")
    assert first.returncode == 0, first.stderr
    study = json.loads(first.stdout)["study"]
    second = optimize(*MA_SPACE, *args, "--trials", "6")
    assert second.returncode == 0, second.stderr
    document = json.loads(second.stdout)
    assert document["study"] == study and document["trials"] == 6
    assert document["notes"] == [f"study {study!r} resumed: 4 earlier trials kept"]
    loaded = optuna.load_study(study_name=study, storage=f"sqlite:///{home / 'scalpbot-optuna.db'}")
    assert len(loaded.trials) == 6


def test_save_stores_each_trial_and_the_best_with_its_trades(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = optimize(
        "--space", "fast=5..15:5", "--space", "slow=20..30:10", "--save", "--home", str(home),
        "--workers", "1", "--json", str(tmp_path / "o.json"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "stored 6 trials as backtest runs 1–6" in done.stdout
    document = json.loads((tmp_path / "o.json").read_text())
    store = Store.open(f"sqlite:///{home / 'scalpbot.db'}")
    try:
        runs = store.backtests.list(50)
    finally:
        store.close()
    assert len(runs) == 6
    with_trades = [r for r in runs if r.summary["optimisation"]["trades_stored"]]
    assert len(with_trades) == 1
    (best,) = with_trades
    assert best.params == {**best.params, **document["best"]["params"]}
    assert best.metrics["net_pnl"] == document["best"]["net_pnl"]
    assert len(best.trades) == best.metrics["trades"] > 0
    assert all(r.trades == [] for r in runs if r is not best)


def test_help_lists_the_backtest_options_too() -> None:
    done = run("optimize", "--help")
    assert done.returncode == 0
    for option in ("--space", "--method", "--walk-forward", "--scheduler", "--slippage-ticks"):
        assert option in done.stdout


def test_a_strategy_file_with_its_own_search_space_runs_in_worker_processes(
    tmp_path: Path,
) -> None:
    source = tmp_path / "mine.py"
    source.write_text(
        "from typing import ClassVar\n"
        "from collections.abc import Mapping\n"
        "from scalpbot.domain import ConfigError\n"
        "from scalpbot.strategies import IntParam, SearchRange, Strategy\n"
        "class EveryN(Strategy):\n"
        "    every = IntParam(10, low=1, high=1000)\n"
        "    hold = IntParam(5, low=1, high=1000)\n"
        "    search_space: ClassVar[Mapping[str, SearchRange]] = {\n"
        "        'every': SearchRange(20, 60, 20), 'hold': SearchRange(choices=(10, 30)),\n"
        "    }\n"
        "    def validate(self):\n"
        "        if self.hold >= self.every:\n"
        "            raise ConfigError('hold must be shorter than every')\n"
        "    def on_start(self):\n"
        "        self.n = 0\n"
        "    def on_bar(self, bar):\n"
        "        self.n += 1\n"
        "        if self.n % self.every == 0:\n"
        "            self.ctx.buy()\n"
        "        elif self.n % self.every == self.hold:\n"
        "            self.ctx.close()\n"
    )
    done = run(
        "optimize", "--data", DATA, "--strategy", f"{source}:EveryN", "--workers", "2",
        "--json", "-",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["space"] == {"every": [20, 40, 60], "hold": [10, 30]}
    assert document["skipped"] == [
        {"params": {"every": 20, "hold": 30}, "reason": "hold must be shorter than every"}
    ]
    assert len(document["results"]) == 5
