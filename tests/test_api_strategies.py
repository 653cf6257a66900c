"""Strategies through the API: templates, CRUD with parameters checked by the strategy itself,
deploying to a paper session, refusing live, and backtests run as background jobs."""

from __future__ import annotations

from typing import Any

import pytest

from api_support import Api, wait_until

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.anyio

MA = {
    "name": "trend",
    "class_spec": "ma_cross",
    "params": {"fast": "5", "slow": 20, "kind": "ema", "long_only": "false"},
    "symbols": ["nse:infy", "NSE:TCS"],
    "timeframe": "1m",
}


async def _create(api: Api, body: dict[str, Any] = MA) -> dict[str, Any]:
    response = await api.client.post("/api/strategies", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_templates_list_the_built_ins_with_their_parameter_schema(authed: Api) -> None:
    body = (await authed.client.get("/api/strategies/templates")).json()
    names = [t["name"] for t in body["templates"]]
    assert names == ["breakout", "ma_cross", "rsi_reversion"]
    ma = next(t for t in body["templates"] if t["name"] == "ma_cross")
    fast = next(p for p in ma["params"] if p["name"] == "fast")
    assert fast["type"] == "int" and fast["default"] == 10 and fast["low"] == 1


async def test_create_read_update_delete(authed: Api) -> None:
    api = authed
    created = await _create(api)
    assert created["params"] == {"fast": 5, "slow": 20, "kind": "ema", "long_only": False}
    assert created["symbols"] == ["NSE:INFY", "NSE:TCS"]
    assert created["status"] == "stopped" and created["running"] is False
    sid = created["id"]
    assert (await api.client.get(f"/api/strategies/{sid}")).json() == created
    assert [s["id"] for s in (await api.client.get("/api/strategies")).json()] == [sid]

    changed = await api.client.put(f"/api/strategies/{sid}", json={"params": {"fast": 8}})
    assert changed.status_code == 200 and changed.json()["params"]["fast"] == 8
    assert changed.json()["params"]["slow"] == 30  # a new parameter set: defaults for the rest
    renamed = await api.client.put(f"/api/strategies/{sid}", json={"name": "trend-2"})
    assert renamed.json()["name"] == "trend-2"

    assert (await api.client.delete(f"/api/strategies/{sid}")).status_code == 204
    assert (await api.client.get(f"/api/strategies/{sid}")).status_code == 404
    assert (await api.client.delete(f"/api/strategies/{sid}")).status_code == 404
    assert (await api.client.put(f"/api/strategies/{sid}", json={})).status_code == 404


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        ({**MA, "params": {"fast": "x"}}, ["body", "params", "fast"], "not a valid int"),
        ({**MA, "params": {"fast": 0}}, ["body", "params", "fast"], "below the minimum"),
        ({**MA, "params": {"speed": 3}}, ["body", "params", "speed"], "has no parameter"),
        ({**MA, "params": {"fast": 30, "slow": 10}}, ["body", "params"], "must be below slow"),
        ({**MA, "class_spec": "nope"}, ["body", "class_spec"], "unknown strategy"),
        ({**MA, "class_spec": "x.py:Y"}, ["body", "class_spec"], "not found"),
        ({**MA, "symbols": ["INFY"]}, ["body", "symbols", 0], "EXCHANGE:SYMBOL"),
        ({**MA, "timeframe": "2m"}, ["body", "timeframe"], ""),
        ({**MA, "name": ""}, ["body", "name"], ""),
    ],
)
async def test_bad_strategies_are_422_naming_the_field(
    authed: Api, body: dict[str, Any], loc: list[Any], words: str
) -> None:
    response = await authed.client.post("/api/strategies", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == loc and words in error["msg"]
    assert (await authed.client.get("/api/strategies")).json() == []


async def test_names_are_unique(authed: Api) -> None:
    first = await _create(authed)
    clash = await authed.client.post("/api/strategies", json=MA)
    assert clash.status_code == 409 and "already exists" in clash.json()["detail"]
    other = await _create(authed, {**MA, "name": "other"})
    rename = await authed.client.put(f"/api/strategies/{other['id']}", json={"name": "trend"})
    assert rename.status_code == 409
    assert first["id"] != other["id"]


async def test_deploying_in_paper_mode_restarts_the_session_with_the_strategy(
    authed: Api,
) -> None:
    api = authed
    assert (await api.client.post("/api/start", json={"speed": 3000})).status_code == 200
    created = await _create(api)
    response = await api.client.post(
        f"/api/strategies/{created['id']}/deploy", json={"mode": "paper", "speed": 3000}
    )
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["state"] == "running"
    assert status["session"]["strategies"] == ["ma_cross:NSE:INFY", "ma_cross:NSE:TCS"]
    assert status["started_with"]["strategy_id"] == created["id"]
    shown = (await api.client.get(f"/api/strategies/{created['id']}")).json()
    assert shown["status"] == "deployed" and shown["running"] is True
    busy = await api.client.delete(f"/api/strategies/{created['id']}")
    assert busy.status_code == 409 and "running" in busy.json()["detail"]

    async def traded() -> bool:
        return bool((await api.client.get("/api/pnl")).json()["trades"] >= 1)

    await wait_until(traded, timeout=60)
    instruments = {t["instrument"] for t in (await api.client.get("/api/trades")).json()["trades"]}
    assert instruments <= {"NSE:INFY", "NSE:TCS"}
    await api.client.post("/api/stop")
    assert (await api.client.get(f"/api/strategies/{created['id']}")).json()["running"] is False


async def test_live_deployment_needs_confirmation_and_a_broker_session(authed: Api) -> None:
    created = await _create(authed)
    path = f"/api/strategies/{created['id']}/deploy"
    unconfirmed = await authed.client.post(path, json={"mode": "live"})
    assert unconfirmed.status_code == 422
    assert unconfirmed.json()["detail"][0]["loc"] == ["body", "confirm"]
    confirmed = await authed.client.post(path, json={"mode": "live", "confirm": True})
    assert confirmed.status_code == 409
    assert "no live broker session" in confirmed.json()["detail"]
    assert (await authed.client.get("/api/status")).json()["manager"] == "idle"
    missing = await authed.client.post("/api/strategies/99/deploy", json={"mode": "paper"})
    assert missing.status_code == 404
    bad_mode = await authed.client.post(path, json={"mode": "sim"})
    assert bad_mode.status_code == 422


async def test_a_backtest_runs_as_a_job_and_its_result_is_stored(authed: Api) -> None:
    api = authed
    created = await _create(api, {**MA, "params": {"fast": 10, "slow": 30}})
    accepted = await api.client.post(
        f"/api/strategies/{created['id']}/backtest",
        json={"data": "GOOG.csv", "quantity": 10, "cash": "1000000", "charges": "none"},
    )
    assert accepted.status_code == 202, accepted.text
    poll = accepted.json()["poll"]
    assert poll == f"/api/jobs/{accepted.json()['job_id']}"

    async def done() -> bool:
        return (await api.client.get(poll)).json()["status"] in ("done", "failed")

    await wait_until(done, timeout=60)
    job = (await api.client.get(poll)).json()
    assert job["status"] == "done" and job["progress"] == 1.0, job["error"]
    result = job["result"]
    assert result["instrument"] == "NSE:GOOG" and result["bars"] > 1000
    assert result["metrics"]["trades"] == len(result["trades"]) > 5
    assert isinstance(result["trades"][0]["net_pnl"], str)
    chart = result["chart"]
    assert len(chart["t"]) == len(chart["c"]) == len(chart["equity"]) > 100
    assert chart["markers"] and {"time", "price", "shape"} <= set(chart["markers"][0])
    stored = (await api.client.get("/api/backtests")).json()["backtests"]
    assert [run["id"] for run in stored] == [result["backtest_id"]]
    run = (await api.client.get(f"/api/backtests/{result['backtest_id']}")).json()
    assert len(run["trades"]) == len(result["trades"])
    assert (await api.client.get("/api/jobs/unknown")).status_code == 404
    assert (await api.client.get("/api/backtests/99")).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"data": "nothere.csv"}, 422, "not found"),
        ({"quantity": 0}, 422, ""),
        ({"cash": "-5"}, 422, ""),
        ({"quantity": 3, "lot_size": 2}, 422, "multiple of the lot size"),
        ({"charges": "groww"}, 422, ""),
    ],
)
async def test_bad_backtest_requests_are_refused_before_a_job_starts(
    authed: Api, body: dict[str, Any], status: int, words: str
) -> None:
    created = await _create(authed)
    response = await authed.client.post(f"/api/strategies/{created['id']}/backtest", json=body)
    assert response.status_code == status, response.text
    assert words in str(response.json()["detail"])
