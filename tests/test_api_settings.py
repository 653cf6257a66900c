"""Settings through the API: masked reads, validated changes saved to the home's files (all or
nothing), applied to the running session where possible, and still there after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from api_support import Api, running_api
from scalpbot.config import layout

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.anyio


async def test_settings_and_config_show_every_section(authed: Api) -> None:
    settings = (await authed.client.get("/api/settings")).json()
    assert set(settings) == {"broker", "trading", "risk", "alerts", "database", "server"}
    assert settings["trading"]["capital"] == "100000"
    assert (await authed.client.get("/api/config")).json() == settings


async def test_a_risk_change_applies_to_the_running_session_at_once(authed: Api) -> None:
    api = authed
    assert (await api.client.post("/api/start", json={"speed": 50})).status_code == 200
    response = await api.client.put(
        "/api/settings/risk", json={"max_open_positions": 2, "daily_loss_limit": "1500"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["applied"] == {"risk": "applied to the running session"}
    assert body["settings"]["risk"]["max_open_positions"] == 2
    session = api.context.manager.session
    assert session is not None
    limits = session.engine.risk.settings
    assert limits.max_open_positions == 2 and str(limits.daily_loss_limit) == "1500"
    assert limits.capital == session.spec.risk.capital
    status = (await api.client.get("/api/status")).json()
    assert status["session"]["risk"]["limits"]["max_open_positions"] == 2

    trading = await api.client.put("/api/settings/trading", json={"quantity": 3})
    assert trading.json()["applied"] == {"trading": "applies when the next session starts"}
    assert session.engine.default_lots == 1
    await api.client.post("/api/stop")
    assert "max_open_positions: 2" in layout(api.home).config_file.read_text()


async def test_a_refused_change_names_the_key_and_changes_nothing(authed: Api) -> None:
    files = layout(authed.home)
    before = files.config_file.read_text()
    response = await authed.client.put("/api/settings/trading", json={"timeframe": "2m"})
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert problem["key"] == "trading.timeframe" and "allowed" in problem["problem"]
    unknown = await authed.client.put("/api/settings/risk", json={"max_positions": 3})
    assert unknown.status_code == 422
    assert unknown.json()["problems"][0]["key"] == "risk.max_positions"
    # Several sections at once: the second is refused, so the first is not kept either.
    both = await authed.client.post(
        "/api/config/update",
        json={"risk": {"max_open_positions": 4}, "trading": {"capital": -5}},
    )
    assert both.status_code == 422
    assert [p["key"] for p in both.json()["problems"]] == ["trading.capital"]
    assert files.config_file.read_text() == before
    assert (await authed.client.put("/api/settings/server", json={})).status_code == 422
    assert (await authed.client.post("/api/config/update", json={})).status_code == 422
    assert (await authed.client.post("/api/config/update", json={"risk": {}})).status_code == 422
    refused = await authed.client.post("/api/config/update", json={"database": {"echo": True}})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][:2] == [
        "body",
        "database",
    ]


async def test_settings_changes_survive_a_new_app_over_the_same_home(home: Path) -> None:
    async with running_api(home) as first:
        headers = await first.bearer()
        response = await first.client.post(
            "/api/config/update",
            json={
                "trading": {"symbols": ["nse:tcs", "NSE:SBIN"], "capital": 250000},
                "risk": {"max_consecutive_losses": 4},
            },
            headers=headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["applied"]["trading"].startswith("saved")
    async with running_api(home) as second:
        headers = await second.bearer()
        settings = (await second.client.get("/api/settings", headers=headers)).json()
        assert settings["trading"]["symbols"] == ["NSE:TCS", "NSE:SBIN"]
        assert settings["trading"]["capital"] == "250000"
        assert settings["risk"]["max_consecutive_losses"] == 4
        started = await second.client.post("/api/start", json={}, headers=headers)
        assert started.status_code == 200, started.text
        status = started.json()["session"]
        assert status["strategies"] == ["ma_cross:NSE:TCS", "ma_cross:NSE:SBIN"]
        assert status["equity"] == "250000.00"
        await second.client.post("/api/stop", headers=headers)
