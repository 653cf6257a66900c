"""Brokers: which are supported, which is configured, its credentials, a test call, login.

Credentials go to secrets.env (mode 0600) through the settings' own saving, and come back
only masked (`ABCD…`): no answer of this API ever holds a secret, not even the one just sent.
This version has adapters for the paper broker and Zerodha (Kite Connect); the others can be
configured (so the credentials are ready), but testing or logging in to them answers 409 with
the reason. Zerodha's login is Kite's redirect flow: POST /api/authenticate answers the login
address, and Kite sends the browser back to /api/broker/zerodha/callback (broker_login.py).
"""

from __future__ import annotations

import asyncio
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
from scalpbot.domain import SessionExpired
from scalpbot.runtime.broker_access import LIVE_BROKERS, login_status, login_url, open_broker
from scalpbot.runtime.manager import SessionConflict

router = APIRouter(tags=["brokers"])

SECRET_FIELDS = frozenset(path[1] for path in secret_paths() if path[0] == "broker")
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The broker has no adapter in this version"}
}


def _no_adapter(name: str) -> SessionConflict:
    return SessionConflict(
        f"broker {name!r} has no adapter in this version: only paper and zerodha can be "
        "tested, logged in to and traded with (its credentials are kept for when it has one)"
    )


def _funds_view(funds: Any) -> dict[str, Any]:
    return {
        "available_cash": money(funds.available_cash),
        "used_margin": money(funds.used_margin),
        "total_balance": money(funds.total_balance),
        "segment": funds.segment,
    }


def _profile_view(profile: Any) -> dict[str, Any]:
    return {
        "user_id": profile.user_id,
        "user_name": profile.user_name,
        "broker": profile.broker,
        "exchanges": list(profile.exchanges),
        "products": list(profile.products),
    }


def _live_account(settings: Any, home: Any) -> tuple[Any, Any]:
    """Profile and funds from the live broker (blocking: called in a worker thread)."""
    broker = open_broker(settings, home)
    try:
        return broker.get_profile(), broker.get_funds()
    finally:
        broker.close()


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
    if name in LIVE_BROKERS:
        try:
            profile, funds = await asyncio.to_thread(_live_account, settings, context.home)
        except SessionExpired as exc:
            raise SessionConflict(
                f"log in to {name} first (POST /api/authenticate or the Brokers page): {exc}"
            ) from exc
        return {
            "ok": True,
            "broker": name,
            "profile": _profile_view(profile),
            "funds": _funds_view(funds),
        }
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
        "profile": _profile_view(profile),
        "funds": _funds_view(funds),
    }


@router.post("/api/authenticate", summary="Log in to the broker", responses=CONFLICT)
async def authenticate(context: Context) -> dict[str, Any]:
    settings = load_settings(context.home)
    name = settings.broker.name
    if name in LIVE_BROKERS:
        state = await asyncio.to_thread(login_status, settings, context.home)
        url = await asyncio.to_thread(login_url, settings, context.home)
        return {
            "broker": name,
            "status": "authenticated" if state.authenticated else "login_required",
            "login_url": url,
            "expires_at": state.expires_at.isoformat() if state.expires_at else None,
        }
    if name != "paper":
        raise _no_adapter(name)
    return {"broker": name, "status": "authenticated", "expires_at": None}


@router.get("/api/auth/status", summary="Whether the broker session is valid")
async def auth_status(context: Context) -> dict[str, Any]:
    settings = load_settings(context.home)
    state = login_status(settings, context.home)
    return {
        "broker": state.broker,
        "authenticated": state.authenticated,
        "user_id": state.user_id,
        "expires_at": state.expires_at.isoformat() if state.expires_at else None,
    }
