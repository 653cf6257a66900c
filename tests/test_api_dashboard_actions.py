"""The dashboard's extra API (scalpbot.api.routers.dashboard_actions) on a real paper session:
close one position, cancel one order, today's P&L curve, and the alert channels' test message
(sent to a fake Telegram server on loopback)."""

from __future__ import annotations

from typing import Any

import pytest

from api_support import Api, wait_until
from fake_telegram import FakeTelegram
from scalpbot.alerts.messages import TEST_TEXT

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.anyio


async def _get(api: Api, path: str) -> dict[str, Any]:
    response = await api.client.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_without_a_session_the_actions_say_why_and_the_curve_is_empty(authed: Api) -> None:
    api = authed
    closed = await api.client.post("/api/positions/NSE:INFY/close")
    assert closed.status_code == 409 and "no session is running" in closed.json()["detail"]
    cancelled = await api.client.post("/api/orders/SB000001/cancel")
    assert cancelled.status_code == 409
    assert await _get(api, "/api/pnl/intraday") == {
        "session_id": None,
        "running": False,
        "points": [],
    }


async def test_a_position_is_closed_and_an_order_cancelled_on_request(authed: Api) -> None:
    api = authed
    # A default stop puts a resting stop-loss order beside every position: orders to cancel.
    risk = await api.client.put("/api/settings/risk", json={"default_stop_pct": 2.0})
    assert risk.status_code == 200, risk.text
    started = await api.client.post("/api/start", json={"speed": 3000})
    assert started.status_code == 200, started.text

    async def books() -> bool:
        positions = (await _get(api, "/api/positions"))["positions"]
        orders = (await _get(api, "/api/orders"))["orders"]
        return bool(positions) and bool(orders)

    await wait_until(books, timeout=30)
    paused = await api.client.post("/api/pause", json={"reason": "test"})  # no new entries
    assert paused.status_code == 200

    order = (await _get(api, "/api/orders"))["orders"][0]
    order_id = order["client_order_id"]
    answer = await api.client.post(f"/api/orders/{order_id}/cancel")
    assert answer.status_code == 200, answer.text
    assert answer.json()["client_order_id"] == order_id
    assert answer.json()["status"] in ("PENDING_CANCEL", "CANCELLED")

    async def cancelled() -> bool:
        working = (await _get(api, "/api/orders"))["orders"]
        return all(o["client_order_id"] != order_id for o in working)

    await wait_until(cancelled)
    again = await api.client.post(f"/api/orders/{order_id}/cancel")
    assert again.status_code == 409 and "only a working order" in again.json()["detail"]
    unknown = await api.client.post("/api/orders/NOSUCH1/cancel")
    assert unknown.status_code == 404
    malformed = await api.client.post("/api/positions/not-a-key/close")
    assert malformed.status_code == 422

    position = (await _get(api, "/api/positions"))["positions"][0]
    key, held = position["instrument"], position["quantity"]
    closing = await api.client.post(f"/api/positions/{key}/close")
    assert closing.status_code == 200, closing.text
    exit_order = closing.json()["order"]
    assert exit_order["instrument"] == key and exit_order["role"] == "exit"
    assert exit_order["quantity"] == abs(held)
    assert exit_order["side"] == ("SELL" if held > 0 else "BUY")

    async def flat() -> bool:
        positions = (await _get(api, "/api/positions"))["positions"]
        return all(p["instrument"] != key for p in positions)

    await wait_until(flat)
    twice = await api.client.post(f"/api/positions/{key}/close")
    assert twice.status_code == 404 and f"no open position in {key}" in twice.json()["detail"]

    kinds = [e["kind"] for e in (await _get(api, "/api/logs?limit=200"))["events"]]
    assert "position_close" in kinds and "order_cancel" in kinds
    stopped = await api.client.post("/api/stop")
    assert stopped.status_code == 200


async def test_the_intraday_curve_follows_today_in_session_time(authed: Api) -> None:
    api = authed
    started = await api.client.post("/api/start", json={"speed": 3000})
    assert started.status_code == 200, started.text

    async def some_points() -> bool:
        return len((await _get(api, "/api/pnl/intraday"))["points"]) >= 5

    await wait_until(some_points, timeout=30)
    curve = await _get(api, "/api/pnl/intraday")
    status = await _get(api, "/api/status")
    assert curve["session_id"] == status["session_id"] and curve["running"] is True
    times = [p["time"] for p in curve["points"]]
    assert times == sorted(set(times)), "times must strictly increase (one point per second)"
    assert len({t // 86_400 for t in times}) == 1, "only today's points"
    assert all(isinstance(p["value"], float | int) for p in curve["points"])
    assert (await api.client.post("/api/stop")).status_code == 200


async def test_the_alert_test_reaches_telegram_or_says_what_failed(authed: Api) -> None:
    api = authed
    none_enabled = await api.client.post("/api/alerts/test")
    assert none_enabled.status_code == 409
    assert "no alert channel is enabled" in none_enabled.json()["detail"]
    with FakeTelegram() as telegram:
        telegram_settings = {
            "enabled": True,
            "bot_token": telegram.token,
            "chat_id": "4242",
            "api_url": telegram.url,
        }
        saved = await api.client.put("/api/settings/alerts", json={"telegram": telegram_settings})
        assert saved.status_code == 200, saved.text
        sent = await api.client.post("/api/alerts/test")
        assert sent.status_code == 200, sent.text
        assert sent.json() == {"ok": True, "results": {"telegram": "sent"}}
        assert telegram.texts("4242") == [TEST_TEXT]

        telegram.fail_next(1, status=400)
        failed = await api.client.post("/api/alerts/test")
        assert failed.status_code == 200
        assert failed.json()["ok"] is False
        assert failed.json()["results"]["telegram"].startswith("failed")
