"""Strategies, backtest runs, settings, broker accounts and the event log in the store."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from sqlalchemy import inspect

from scalpbot.backtest.result import BacktestResult
from scalpbot.data.series import BarSeries
from scalpbot.domain import TradeRecord
from scalpbot.store import RecordNotFound, Store, StoreError
from store_support import SECOND, T0

pytest_plugins = ["store_fixtures"]


def test_strategies_crud(store: Store) -> None:
    sid = store.strategies.create(
        "ema-fast", "scalpbot.strategies.ema:EmaCross", {"fast": 9, "slow": 21}, ["NSE:SBIN"], "1m"
    )
    record = store.strategies.get(sid)
    assert record is not None
    assert (record.name, record.class_spec, record.timeframe) == (
        "ema-fast",
        "scalpbot.strategies.ema:EmaCross",
        "1m",
    )
    assert (record.params, record.symbols, record.status) == (
        {"fast": 9, "slow": 21},
        ["NSE:SBIN"],
        "stopped",
    )
    second = store.strategies.create("rsi", "my_rsi.py:Rsi", {}, ["NSE:TCS", "NSE:INFY"], "5m")
    assert [s.name for s in store.strategies.list()] == ["ema-fast", "rsi"]

    updated = store.strategies.update(sid, status="running", params={"fast": 5, "slow": 21})
    assert (updated.status, updated.params, updated.name) == (
        "running",
        {"fast": 5, "slow": 21},
        "ema-fast",
    )
    assert updated.updated_at >= record.updated_at
    assert store.strategies.get(sid) == updated

    with pytest.raises(StoreError, match="a strategy named 'rsi' already exists"):
        store.strategies.update(sid, name="rsi")
    with pytest.raises(StoreError, match="a strategy named 'rsi' already exists"):
        store.strategies.create("rsi", "x:Y", {}, [], "1m")
    with pytest.raises(StoreError, match="a strategy has no field 'colour'"):
        store.strategies.update(sid, status="stopped", colour="red")
    with pytest.raises(StoreError, match="strategy symbols must be a list of strings"):
        store.strategies.update(sid, symbols="NSE:SBIN")
    assert store.strategies.get(sid) == updated  # the refused updates changed nothing

    store.strategies.delete(second)
    assert store.strategies.get(second) is None
    with pytest.raises(RecordNotFound, match=f"no strategy with id {second}"):
        store.strategies.delete(second)
    with pytest.raises(RecordNotFound):
        store.strategies.update(second, status="running")
    assert [s.id for s in store.strategies.list()] == [sid]


def _result() -> BacktestResult:
    ts = np.array([T0, T0 + 60 * SECOND, T0 + 120 * SECOND], dtype=np.int64)
    prices = np.array([100.0, 101.0, 100.5])
    bars = BarSeries(ts, prices, prices, prices, prices, np.zeros(3))
    trade = TradeRecord(
        instrument_key="NSE:SBIN",
        entry_ts=T0,
        entry_price=Decimal("100.05"),
        exit_ts=T0 + 120 * SECOND,
        exit_price=Decimal("100.55"),
        quantity=10,
        side="BUY",
        pnl=Decimal("5.00"),
        charges=Decimal("1.2345"),
    )
    return BacktestResult(
        strategy="ema",
        params={"fast": 9, "slow": 21},
        instrument_key="NSE:SBIN",
        bars=bars,
        trades=[trade],
        open_position=None,
        equity=np.array([100_000.0, 100_010.0, 100_003.77]),
        in_market=np.array([False, True, False]),
        initial_cash=Decimal(100_000),
        final_equity=Decimal("100003.7655"),
        total_charges=Decimal("1.2345"),
        metrics={"trades": 1, "win_rate": 100.0, "profit_factor": None},
    )


def test_backtest_runs_keep_what_the_backtest_reported(store: Store) -> None:
    result = _result()
    summary: dict[str, Any] = result.to_json_dict()
    first = store.backtests.add(
        result.strategy,
        result.params,
        "samples/sbin.csv",
        dict(result.metrics),
        summary["trades"],
        summary,
    )
    second = store.backtests.add("rsi", {}, "samples/tcs.csv", {}, [], {"bars": 0})
    run = store.backtests.get(first)
    assert run is not None
    assert (run.strategy, run.params, run.data_source) == ("ema", result.params, "samples/sbin.csv")
    assert run.metrics == result.metrics
    assert run.trades == summary["trades"]
    assert run.trades[0]["net_pnl"] == pytest.approx(3.7655)
    assert run.summary == summary
    assert run.created_at.tzinfo is not None
    assert [r.id for r in store.backtests.list()] == [second, first]
    assert [r.id for r in store.backtests.list(limit=1)] == [second]
    assert store.backtests.get(second + 1) is None
    with pytest.raises(StoreError, match="backtest trades must be a list"):
        store.backtests.add("x", {}, "d", {}, {"not": "a list"}, {})  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="limit must be at least 1"):
        store.backtests.list(limit=0)


def test_settings_round_trip_json_values(store: Store) -> None:
    values: dict[str, Any] = {
        "risk.max_loss": Decimal("2500.75"),
        "ui": {"theme": "dark", "columns": ["symbol", "pnl"], "compact": True},
        "alerts.enabled": False,
        "limits": [1, 2.5, None, "x"],
        "nothing": None,
        "unicode": "₹ नमस्ते",
    }
    for key, value in values.items():
        store.settings.set(key, value)
    expected = {**values, "risk.max_loss": "2500.75"}
    assert {key: store.settings.get(key) for key in values} == expected
    assert store.settings.all() == expected
    store.settings.set("alerts.enabled", True)
    assert store.settings.get("alerts.enabled") is True
    assert store.settings.get("missing") is None
    with pytest.raises(StoreError, match=r"setting 'bad' cannot be stored as JSON"):
        store.settings.set("bad", object())
    with pytest.raises(StoreError, match="setting key must be a non-empty string"):
        store.settings.set("", 1)


def test_broker_accounts_hold_no_secrets(store: Store) -> None:
    first = store.broker_accounts.upsert("zerodha", "AB1234", "Main", {"exchanges": ["NSE"]})
    store.broker_accounts.upsert("angel", "X99", "Angel", {})
    again = store.broker_accounts.upsert("zerodha", "AB1234", "Main account", {"mapping": "v2"})
    assert again == first
    accounts = store.broker_accounts.list()
    assert [(a.broker, a.user_id, a.name, a.meta) for a in accounts] == [
        ("angel", "X99", "Angel", {}),
        ("zerodha", "AB1234", "Main account", {"mapping": "v2"}),
    ]
    for meta in ({"access_token": "abc"}, {"login": {"MPIN": "1234"}}, {"api-secret": "s"}):
        with pytest.raises(StoreError, match="must not hold secrets"):
            store.broker_accounts.upsert("zerodha", "AB1234", "Main", meta)
    assert store.broker_accounts.list() == accounts
    columns = {c["name"] for c in inspect(store.engine).get_columns("broker_accounts")}
    assert columns == {"id", "broker", "user_id", "name", "meta", "created_at", "updated_at"}


def test_events_are_logged_and_listed_newest_first(store: Store, session_id: int) -> None:
    started = {"capital": Decimal("1E+5")}
    first = store.events.add("session", "paper session started", started, session_id, T0)
    store.events.add("order", "C1 rejected: no margin", {"cid": "C1"}, session_id, T0 + SECOND)
    store.events.add("kill_switch", "emergency stop", None, None, T0 + 2 * SECOND)
    store.events.add("order", "C2 filled", None, session_id, T0 + 3 * SECOND)

    recent = store.events.recent(10)
    assert [e.message for e in recent] == [
        "C2 filled",
        "emergency stop",
        "C1 rejected: no margin",
        "paper session started",
    ]
    assert recent[-1].id == first
    assert recent[-1].data == {"capital": "1E+5"}
    assert recent[-1].session_id == session_id and recent[1].session_id is None
    assert [e.message for e in store.events.recent(10, kind="order")] == [
        "C2 filled",
        "C1 rejected: no margin",
    ]
    assert len(store.events.recent(2)) == 2
    with pytest.raises(StoreError, match="event data must be an object or None"):
        store.events.add("x", "y", ["list"], None, 0)  # type: ignore[arg-type]
