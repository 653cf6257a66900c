"""Trading sessions (resume by key, progress, finish) and the paper exchange's state: a paper
session stopped mid-way goes on from the store exactly where it was."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from paper_support import Recorder, bar_at, exchange_with, make_order
from scalpbot.brokers.paper import PaperConfig, PaperExchange
from scalpbot.store import RecordNotFound, Store, StoreError

pytest_plugins = ["store_fixtures"]

STRATEGIES = [{"name": "ema", "class": "scalpbot.strategies.ema:EmaCross", "params": {"fast": 9}}]
CONFIG = {"capital": Decimal("100000.50"), "symbols": ("NSE:RELIANCE",), "risk": {"max": 3}}


def test_a_session_is_created_running_and_read_back(store: Store) -> None:
    before = datetime.now(UTC)
    sid = store.sessions.create("PAPER", "paper", STRATEGIES, CONFIG, "replay:x.csv", "k")
    record = store.sessions.get(sid)
    assert record is not None
    assert (record.mode, record.broker, record.status) == ("paper", "paper", "running")
    assert record.strategies == STRATEGIES
    # Decimals are kept as their exact text, tuples as lists: what JSON can hold.
    assert record.config == {
        "capital": "100000.50",
        "symbols": ["NSE:RELIANCE"],
        "risk": {"max": 3},
    }
    assert record.data_source == "replay:x.csv"
    assert record.started_at.tzinfo is not None
    assert before.replace(microsecond=0) <= record.started_at <= datetime.now(UTC)
    assert record.finished_at is None and not record.is_finished
    assert (record.last_bar_index, record.last_bar_ts, record.summary) == (None, None, None)
    assert store.sessions.get(sid + 100) is None


def test_find_resumable_gives_the_latest_unfinished_session_of_a_key(store: Store) -> None:
    assert store.sessions.find_resumable("k") is None
    old = store.sessions.create("paper", "paper", [], {}, None, "k")
    newer = store.sessions.create("paper", "paper", [], {}, None, "k")
    other = store.sessions.create("live", "zerodha", [], {}, None, "other-key")
    store.sessions.create("backtest", "paper", [], {}, None, None)

    found = store.sessions.find_resumable("k")
    assert found is not None and found.id == newer
    store.sessions.update_progress(newer, last_bar_index=41, last_bar_ts=1_700_000_000 * 10**9)
    store.sessions.set_status(newer, "paused")
    found = store.sessions.find_resumable("k")
    assert found is not None
    assert (found.id, found.status, found.last_bar_index) == (newer, "paused", 41)
    assert found.last_bar_ts == 1_700_000_000 * 10**9

    store.sessions.finish(newer, "stopped", {"net_pnl": Decimal("-12.3450"), "trades": 4})
    found = store.sessions.find_resumable("k")
    assert found is not None and found.id == old
    finished = store.sessions.get(newer)
    assert finished is not None and finished.is_finished
    assert finished.summary == {"net_pnl": "-12.3450", "trades": 4}
    first_finish = finished.finished_at
    store.sessions.finish(newer, "failed", {"error": "again"})
    again = store.sessions.get(newer)
    assert again is not None
    assert (again.status, again.finished_at) == ("failed", first_finish)

    store.sessions.finish(old, "stopped", {})
    assert store.sessions.find_resumable("k") is None
    resumable = store.sessions.find_resumable("other-key")
    assert resumable is not None and resumable.id == other


def test_bad_session_input_is_refused_by_name(store: Store) -> None:
    with pytest.raises(StoreError, match="session mode: 'demo' is not a valid Mode"):
        store.sessions.create("demo", "paper", [], {}, None, None)
    with pytest.raises(StoreError, match=r"session config cannot be stored as JSON: .*set"):
        store.sessions.create("paper", "paper", [], {"symbols": {"A"}}, None, None)
    with pytest.raises(StoreError, match=r"cannot be stored as JSON: .*NaN"):
        store.sessions.create("paper", "paper", [], {"x": float("nan")}, None, None)
    with pytest.raises(RecordNotFound, match="no trading session with id 77"):
        store.sessions.update_progress(77, last_bar_index=1, last_bar_ts=2)
    with pytest.raises(RecordNotFound):
        store.sessions.finish(77, "stopped", {})
    with pytest.raises(StoreError, match="last bar index must be at least 0"):
        store.sessions.update_progress(1, last_bar_index=-1, last_bar_ts=2)


def test_a_paper_session_goes_on_from_its_stored_state(store: Store) -> None:
    config = PaperConfig(slippage_ticks=1)
    exchange, recorder = exchange_with(slippage_ticks=1)
    exchange.submit(make_order("MKT", "BUY"))
    exchange.submit(make_order("LMT", "BUY", "LIMIT", "99.50", quantity=500))
    exchange.submit(make_order("STP", "SELL", "SL-M", None, "97.50"))
    exchange.on_bar(bar_at(0, (100, 100.5, 99.8, 100), volume=2_000))
    sid = store.sessions.create("paper", "paper", [], {}, None, "paper-1")
    assert store.paper_state.load(sid) is None
    store.paper_state.save(sid, {"format": "placeholder"})
    store.paper_state.save(sid, exchange.to_state())  # replaces, one row per session

    # "restart": everything is rebuilt from the store alone
    resumed = store.sessions.find_resumable("paper-1")
    assert resumed is not None
    state = store.paper_state.load(resumed.id)
    assert state == exchange.to_state()
    restored = PaperExchange.from_state(state, config)
    replay = Recorder()
    restored.set_listener(replay)
    before = len(recorder.events)
    for i, ohlc in enumerate([(99.6, 99.9, 99.0, 99.2), (98, 98.2, 97, 97.4)], start=1):
        exchange.on_bar(bar_at(i, ohlc, volume=2_000))
        restored.on_bar(bar_at(i, ohlc, volume=2_000))
    assert replay.events == recorder.events[before:]
    assert replay.fills


def test_paper_state_of_an_unknown_session_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="saving the paper exchange of session 404 failed"):
        store.paper_state.save(404, {"format": "x"})
    with pytest.raises(StoreError, match="paper exchange state must be an object"):
        store.paper_state.save(1, [])  # type: ignore[arg-type]
