"""Brokers: which are supported, which is configured, its credentials, a test call, login.

Credentials go to secrets.env (mode 0600) through the settings' own saving, and come back
only masked (`ABCD…`): no answer of this API ever holds a secret, not even the one just sent.
This version has an adapter for the paper broker only; the others can be configured (so the
credentials are ready), but testing or logging in to them answers 409 with the reason.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter

from scalpbot.api.broker_catalog import CATALOG, supported
from scalpbot.api.deps import Context
from scalpbot.api.schemas import BrokerConfigure
from scalpbot.api.settings_ops import display, log_change, save_sections
from scalpbot.api.views import money
from scalpbot.brokers.paper.account import PaperAccount, PaperBooks
from scalpbot.config import Problem, SettingsError, load_settings
from scalpbot.config.schema import secret_paths
from scalpbot.runtime.manager import SessionConflict

router = APIRouter(tags=["brokers"])

SECRET_FIELDS = frozenset(path[1] for path in secret_paths() if path[0] == "broker")
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The broker has no adapter in this version"}
}


def _no_adapter(name: str) -> SessionConflict:
    return SessionConflict(
        f"broker {name!r} has no adapter in this version: only the paper broker can be tested, "
        "logged in to and traded with (its credentials are kept for when it has one)"
    )


def _current(context: Context) -> dict[str, Any]:
    settings = load_settings(context.home)
    shown = display(settings)["broker"]
    entry = CATALOG[settings.broker.name]
    return {
        "name": settings.broker.name,
        "title": entry.title,
        "login_kind": entry.login_kind,
        "status": entry.status,
        "implemented": entry.status == "available",
        "settings": shown,
        "configured": {f.name: shown.get(f.name) is not None for f in entry.fields},
    }


@router.get("/api/brokers/supported", summary="Brokers, their credential fields and status")
async def brokers_supported() -> dict[str, Any]:
    return {"brokers": [entry.view(SECRET_FIELDS) for entry in supported()]}


@router.get("/api/broker/current", summary="The configured broker, secrets masked")
async def broker_current(context: Context) -> dict[str, Any]:
    return _current(context)


@router.post(
    "/api/broker/configure",
    summary="Choose the broker and save its credentials (secrets to secrets.env, 0600)",
    responses={422: {"description": "A field is invalid or a required one is missing"}},
)
async def broker_configure(body: BrokerConfigure, context: Context) -> dict[str, Any]:
    values = body.model_dump(exclude_unset=True)
    entry = CATALOG[body.name]
    current = load_settings(context.home).broker
    missing = [
        f.name
        for f in entry.fields
        if f.required
        and not values.get(f.name)
        and (f.name in values or getattr(current, f.name) is None)
    ]
    if missing:
        raise SettingsError(
            [Problem(f"broker.{name}", f"required by {entry.title}; give it") for name in missing]
        )
    changes = {"broker": values}
    save_sections(context.home, changes)
    log_change(context.manager, changes)
    return _current(context)


@router.post(
    "/api/broker/test",
    summary="A real call to the broker: its profile and funds",
    responses=CONFLICT,
)
async def broker_test(context: Context) -> dict[str, Any]:
    settings = load_settings(context.home)
    name = settings.broker.name
    if name != "paper":
        raise _no_adapter(name)
    capital, books = Decimal(settings.trading.capital), None
    session = context.manager.session
    if context.manager.control is not None and session is not None:
        portfolio = session.engine.portfolio
        capital = session.spec.engine_settings.initial_cash
        books = PaperBooks(equity=portfolio.equity(), used_margin=portfolio.exposure())
    account = PaperAccount(capital, books)
    profile = account.get_profile()
    funds = account.get_funds()
    return {
        "ok": True,
        "broker": name,
        "profile": {
            "user_id": profile.user_id,
            "user_name": profile.user_name,
            "broker": profile.broker,
            "exchanges": list(profile.exchanges),
            "products": list(profile.products),
        },
        "funds": {
            "available_cash": money(funds.available_cash),
            "used_margin": money(funds.used_margin),
            "total_balance": money(funds.total_balance),
            "segment": funds.segment,
        },
    }


@router.post("/api/authenticate", summary="Log in to the broker", responses=CONFLICT)
async def authenticate(context: Context) -> dict[str, Any]:
    name = load_settings(context.home).broker.name
    if name != "paper":
        raise _no_adapter(name)
    return {"broker": name, "status": "authenticated", "expires_at": None}


@router.get("/api/auth/status", summary="Whether the broker session is valid")
async def auth_status(context: Context) -> dict[str, Any]:
    name = load_settings(context.home).broker.name
    return {"broker": name, "authenticated": name == "paper", "expires_at": None}
