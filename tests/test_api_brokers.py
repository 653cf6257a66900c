"""Brokers through the API: the supported list, configuring credentials (secrets to a 0600
file, never echoed), the paper broker's real profile and funds, and 409 for brokers without
an adapter. Plus the rule that no answer of any endpoint ever holds a secret."""

from __future__ import annotations

import stat
from typing import Any

import pytest

from api_support import Api, wait_until
from scalpbot.api.broker_catalog import CATALOG, supported
from scalpbot.brokers.paper.account import PaperAccount, PaperBooks
from scalpbot.config import KNOWN_BROKERS, layout
from scalpbot.config.schema import secret_paths
from scalpbot.domain import ConfigError

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.anyio

SECRETS = {
    "api_secret": "S3CRET-kite-api-secret-0001",
    "access_token": "TOKEN-kite-access-token-0002",
    "totp_secret": "TOTPBASE32SECRETVALUE0003",
    "password": "hunter2-broker-password-0004",
}
BOT_TOKEN = "123456789:telegram-bot-token-secret-0005"
SMTP_PASSWORD = "smtp-password-secret-0006"


async def test_supported_brokers_list_every_known_one_with_fields_and_status(authed: Api) -> None:
    body = (await authed.client.get("/api/brokers/supported")).json()
    names = [b["name"] for b in body["brokers"]]
    assert names == list(KNOWN_BROKERS) == [entry.name for entry in supported()]
    assert set(CATALOG) == set(KNOWN_BROKERS)
    by_name = {b["name"]: b for b in body["brokers"]}
    assert by_name["paper"]["status"] == "available" and by_name["paper"]["login_kind"] == "none"
    assert by_name["zerodha"]["login_kind"] == "redirect"
    assert by_name["angel"]["login_kind"] == "totp"
    assert by_name["zerodha"]["status"] == "available"
    assert all(
        b["status"] == "planned" for n, b in by_name.items() if n not in ("paper", "zerodha")
    )
    secret_fields = {path[1] for path in secret_paths() if path[0] == "broker"}
    for broker in body["brokers"]:
        for field in broker["fields"]:
            assert field["secret"] == (field["name"] in secret_fields)
    kite = {f["name"]: f for f in by_name["zerodha"]["fields"]}
    assert kite["api_key"]["required"] and kite["api_secret"]["secret"]


async def test_configuring_a_broker_writes_secrets_privately_and_never_echoes_them(
    authed: Api,
) -> None:
    api = authed
    body = {"name": "zerodha", "api_key": "kiteapikey123", **SECRETS}
    response = await api.client.post("/api/broker/configure", json=body)
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["name"] == "zerodha" and shown["implemented"] is True
    assert shown["settings"]["api_secret"] == "S3CR…"
    assert shown["configured"]["api_secret"] is True
    for secret in SECRETS.values():
        assert secret not in response.text
    secrets_file = layout(api.home).secrets_file
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    text = secrets_file.read_text()
    assert all(secret in text for secret in SECRETS.values())
    config = layout(api.home).config_file.read_text()
    assert not any(secret in config for secret in SECRETS.values())
    current = await api.client.get("/api/broker/current")
    assert current.json()["name"] == "zerodha"
    # Sending the masked form back keeps the secret; a partial update keeps the others.
    keep = await api.client.post(
        "/api/broker/configure", json={"name": "zerodha", "api_secret": "S3CR…"}
    )
    assert keep.status_code == 200 and SECRETS["api_secret"] in secrets_file.read_text()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"name": "nobroker"}, ["body", "name"]),
        ({"name": "paper", "api_sekret": "x"}, ["body", "api_sekret"]),
        ({}, ["body", "name"]),
    ],
)
async def test_bad_broker_bodies_are_422_naming_the_field(
    authed: Api, body: dict[str, Any], where: list[str]
) -> None:
    response = await authed.client.post("/api/broker/configure", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == where


async def test_a_refused_secret_is_not_echoed_in_the_422(authed: Api) -> None:
    long_secret = "LEAK" * 300  # over the 1024-character bound
    response = await authed.client.post(
        "/api/broker/configure", json={"name": "zerodha", "api_secret": long_secret}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "api_secret"]
    assert "LEAKLEAK" not in response.text
    login = await authed.client.post(
        "/api/login", json={"username": "admin", "password": long_secret * 2}
    )
    assert login.status_code == 422 and "LEAKLEAK" not in login.text


async def test_missing_required_credentials_are_named_and_nothing_is_saved(authed: Api) -> None:
    response = await authed.client.post(
        "/api/broker/configure", json={"name": "angel", "api_key": "k", "user_id": "A1"}
    )
    assert response.status_code == 422
    keys = [p["key"] for p in response.json()["problems"]]
    assert keys == ["broker.password", "broker.totp_secret"]
    assert (await authed.client.get("/api/broker/current")).json()["name"] == "paper"


async def test_the_paper_broker_answers_a_real_profile_and_funds(authed: Api) -> None:
    api = authed
    idle = await api.client.post("/api/broker/test")
    assert idle.status_code == 200
    funds = idle.json()["funds"]
    assert idle.json()["profile"]["user_id"] == "PAPER"
    assert funds == {
        "available_cash": "100000.00",
        "used_margin": "0.00",
        "total_balance": "100000.00",
        "segment": "equity",
    }
    assert (await api.client.post("/api/start", json={"speed": 3000})).status_code == 200

    async def holds_a_position() -> bool:
        return bool((await api.client.get("/api/positions")).json()["positions"])

    await wait_until(holds_a_position, timeout=60)
    busy = (await api.client.post("/api/broker/test")).json()["funds"]
    assert busy["used_margin"] != "0.00"
    assert float(busy["available_cash"]) + float(busy["used_margin"]) == pytest.approx(
        float(busy["total_balance"])
    )
    login = await api.client.post("/api/authenticate")
    assert login.json() == {"broker": "paper", "status": "authenticated", "expires_at": None}
    status = await api.client.get("/api/auth/status")
    assert status.json() == {
        "broker": "paper",
        "authenticated": True,
        "user_id": None,
        "expires_at": None,
    }
    await api.client.post("/api/stop")


async def test_brokers_without_an_adapter_are_409_for_test_and_login(authed: Api) -> None:
    api = authed
    body = {"name": "dhan", "user_id": "1000001", "access_token": SECRETS["access_token"]}
    assert (await api.client.post("/api/broker/configure", json=body)).status_code == 200
    for path in ("/api/broker/test", "/api/authenticate"):
        response = await api.client.post(path)
        assert response.status_code == 409
        assert "has no adapter in this version" in response.json()["detail"]
    status = (await api.client.get("/api/auth/status")).json()
    assert status == {"broker": "dhan", "authenticated": False, "user_id": None, "expires_at": None}


def test_the_paper_account_computes_funds_from_the_books() -> None:
    from decimal import Decimal

    account = PaperAccount(Decimal(50_000), PaperBooks(Decimal("50250.50"), Decimal("12000")))
    funds = account.get_funds()
    assert funds.total_balance == Decimal("50250.50")
    assert funds.available_cash == Decimal("38250.50") and funds.used_margin == Decimal(12000)
    assert account.get_profile().broker == "paper"
    with pytest.raises(ConfigError, match="positive"):
        PaperAccount(Decimal(0))


async def test_no_answer_of_any_endpoint_holds_a_secret(authed: Api) -> None:
    """Configure secrets everywhere they exist, then read every GET endpoint (and the answers
    to the changes themselves): no secret may appear in any of them."""
    api = authed
    configured = await api.client.post(
        "/api/broker/configure", json={"name": "zerodha", "api_key": "kiteapikey123", **SECRETS}
    )
    alerts = await api.client.put(
        "/api/settings/alerts",
        json={
            "telegram": {"enabled": True, "bot_token": BOT_TOKEN, "chat_id": "42"},
            "email": {"smtp_host": "mail.example.com", "password": SMTP_PASSWORD},
        },
    )
    assert alerts.status_code == 200, alerts.text
    update = await api.client.post(
        "/api/config/update", json={"broker": {"password": SECRETS["password"]}}
    )
    assert update.status_code == 200
    await api.client.post("/api/strategies", json={"name": "s", "class_spec": "ma_cross"})
    answers = [configured.text, alerts.text, update.text]
    document = (await api.client.get("/openapi.json")).json()
    for path, operations in document["paths"].items():
        if "get" in operations and "{" not in path:
            response = await api.client.get(path)
            assert response.status_code == 200, path
            answers.append(response.text)
    answers.append((await api.client.get("/api/strategies/1")).text)
    secrets = [*SECRETS.values(), BOT_TOKEN, SMTP_PASSWORD]
    assert len(answers) > 20
    for text in answers:
        for secret in secrets:
            assert secret not in text
