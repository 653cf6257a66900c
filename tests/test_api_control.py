"""Starting, watching and controlling a paper session through the API, on the simulated market
(fast) and on a replayed file: the books fill up, states change, illegal moves are 409."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from api_support import Api, wait_until

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.anyio


async def _get(api: Api, path: str) -> dict[str, Any]:
    response = await api.client.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_session_started_through_the_api_trades_and_shows_its_books(authed: Api) -> None:
    api = authed
    idle = await _get(api, "/api/status")
    assert idle["state"] == "stopped" and idle["session"] is None and idle["manager"] == "idle"
    assert (await _get(api, "/api/positions"))["positions"] == []

    started = await api.client.post("/api/start", json={"speed": 3000})
    assert started.status_code == 200, started.text
    assert started.json()["state"] == "running" and started.json()["manager"] == "running"
    session = started.json()["session"]
    assert session["mode"] == "paper" and session["feed"] == "simulated"
    assert len(session["strategies"]) == 3

    async def traded() -> bool:
        pnl = await _get(api, "/api/pnl")
        return bool(pnl["trades"] >= 2)

    await wait_until(traded, timeout=60)
    pnl = await _get(api, "/api/pnl")
    assert pnl["running"] is True and pnl["session_id"] == session["session_id"]
    for key in ("equity", "today", "realised", "unrealised", "charges", "net"):
        Decimal(pnl[key])  # exact text, not a float
        assert isinstance(pnl[key], str)
    trades = await _get(api, "/api/trades")
    assert trades["source"] == "session" and len(trades["trades"]) >= 2
    first = trades["trades"][0]
    assert set(first) >= {"instrument", "side", "entry_price", "exit_price", "net_pnl"}
    assert Decimal(first["net_pnl"]) == Decimal(first["pnl"]) - Decimal(first["charges"])
    assert len(trades["fills"]) >= 4 and trades["fills"][0]["price"]
    stats = await _get(api, "/api/stats")
    assert stats["metrics"]["trades"] >= 2 and stats["bars"] > 0
    orders = await _get(api, "/api/orders?all=true")
    assert len(orders["orders"]) >= 4
    logs = await _get(api, "/api/logs?limit=50")
    assert "session_started" in {e["kind"] for e in logs["events"]}
    only = await _get(api, "/api/logs?kind=session_started")
    assert {e["kind"] for e in only["events"]} == {"session_started"}

    again = await api.client.post("/api/start", json={})
    assert again.status_code == 409 and "stop it first" in again.json()["detail"]

    stopped = await api.client.post("/api/stop", json={"reason": "test over"})
    assert stopped.status_code == 200 and stopped.json()["stopped"] is True
    assert stopped.json()["state"] == "stopped" and stopped.json()["manager"] == "finished"
    assert stopped.json()["last_report"]["status"] == "interrupted"
    # The last session's books stay readable; stopping again is refused.
    after = await _get(api, "/api/trades")
    assert after["running"] is False and len(after["trades"]) >= len(trades["trades"])
    assert (await api.client.post("/api/stop")).status_code == 409
    by_id = await _get(api, f"/api/trades?session_id={session['session_id']}")
    assert by_id["source"] == "session"
    other = await _get(api, "/api/trades?session_id=999")
    assert other["source"] == "store" and other["fills"] == []


async def test_pause_resume_emergency_stop_and_the_409s_between(authed: Api) -> None:
    api = authed
    refused = await api.client.post("/api/pause")
    assert refused.status_code == 409 and "no session is running" in refused.json()["detail"]
    for path in ("/api/resume", "/api/emergency-stop"):
        assert (await api.client.post(path)).status_code == 409

    assert (await api.client.post("/api/start", json={"speed": 3000})).status_code == 200
    paused = await api.client.post("/api/pause", json={"reason": "lunch"})
    assert paused.status_code == 200
    assert paused.json()["state"] == "paused" and paused.json()["session"]["reason"] == "lunch"
    twice = await api.client.post("/api/pause")
    assert twice.status_code == 409 and twice.json()["detail"] == "cannot pause while paused"
    resumed = await api.client.post("/api/resume")
    assert resumed.status_code == 200 and resumed.json()["state"] == "running"
    again = await api.client.post("/api/resume")
    assert again.status_code == 409 and "running" in again.json()["detail"]

    async def holds_a_position() -> bool:
        return bool((await _get(api, "/api/positions"))["positions"])

    await wait_until(holds_a_position, timeout=60)
    killed = await api.client.post("/api/emergency-stop", json={"reason": "test kill"})
    assert killed.status_code == 200 and killed.json()["state"] == "halted"
    assert killed.json()["session"]["risk"]["halted"] is True

    async def flat() -> bool:
        return not (await _get(api, "/api/positions"))["positions"]

    await wait_until(flat, timeout=30)
    assert (await _get(api, "/api/orders"))["orders"] == []
    resumed = await api.client.post("/api/resume")
    assert resumed.status_code == 200 and resumed.json()["state"] == "running"
    assert (await api.client.post("/api/stop")).json()["state"] == "stopped"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"speed": 0}, ["body", "speed"]),
        ({"speed": "fast"}, ["body", "speed"]),
        ({"feed": "broker"}, ["body", "feed"]),
        ({"colour": "red"}, ["body", "colour"]),
        ({"seed": -1}, ["body", "seed"]),
    ],
)
async def test_bad_start_bodies_are_422_naming_the_field(
    authed: Api, body: dict[str, Any], where: list[str]
) -> None:
    response = await authed.client.post("/api/start", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == where


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"strategy": "no_such_thing"}, "unknown strategy 'no_such_thing'"),
        ({"strategy": "ma_cross", "params": {"fast": 50, "slow": 10}}, "must be below slow"),
        ({"params": {"fast": 3}}, "without a strategy"),
        ({"feed": "replay"}, "needs data"),
        ({"feed": "replay", "data": "missing.csv"}, "not found"),
    ],
)
async def test_a_start_the_settings_or_strategy_refuse_is_422_and_starts_nothing(
    authed: Api, body: dict[str, Any], words: str
) -> None:
    response = await authed.client.post("/api/start", json=body)
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]
    status = (await authed.client.get("/api/status")).json()
    assert status["manager"] == "idle" and status["session"] is None


async def test_a_replayed_file_runs_to_its_end_and_its_trades_remain(authed: Api) -> None:
    api = authed
    response = await api.client.post(
        "/api/start",
        json={
            "feed": "replay",
            "data": "GOOG.csv",
            "strategy": "ma_cross",
            "params": {"fast": 10, "slow": 30},
            "speed": 100000,
        },
    )
    assert response.status_code == 200, response.text

    async def finished() -> bool:
        return bool((await _get(api, "/api/status"))["manager"] == "finished")

    await wait_until(finished, timeout=60)
    status = await _get(api, "/api/status")
    assert status["last_report"]["status"] == "completed"
    trades = await _get(api, "/api/trades")
    assert trades["running"] is False and len(trades["trades"]) > 5
    stats = await _get(api, "/api/stats")
    assert stats["metrics"]["trades"] == len(trades["trades"])


async def test_log_queries_are_validated(authed: Api) -> None:
    for query in ("limit=0", "limit=5000", "limit=x", "kind="):
        response = await authed.client.get(f"/api/logs?{query}")
        assert response.status_code == 422, query
