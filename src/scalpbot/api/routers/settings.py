"""Settings: read them (secrets masked), change a section, or several at once.

A change is validated against the whole configuration (files, secrets, environment), written
to config.yaml / secrets.env (so it survives a restart), applied to the running session where
that is possible (risk limits) and otherwise reported as applying at the next start. Secret
values are never returned; sending back the masked form (`ABCD…`) keeps a secret unchanged.
`/api/config` and `/api/config/update` are the same store seen as one document.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from scalpbot.api.deps import Context
from scalpbot.api.schemas import Category
from scalpbot.api.settings_ops import apply_live, display, log_change, save_sections
from scalpbot.config import Problem, SettingsError, load_settings

router = APIRouter(tags=["settings"])

INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "Refused; `problems` names each key, its source and what is allowed"}
}


@router.get("/api/settings", summary="Every settings section, secrets masked")
async def get_settings(context: Context) -> dict[str, Any]:
    return display(load_settings(context.home))


@router.put("/api/settings/{category}", summary="Change keys of one section", responses=INVALID)
async def put_settings(
    category: Category,
    values: Annotated[dict[str, Any], Body(examples=[{"max_open_positions": 3}])],
    context: Context,
) -> dict[str, Any]:
    return _update(context, {category: values})


@router.get("/api/config", summary="The configuration, secrets masked (same as /api/settings)")
async def get_config(context: Context) -> dict[str, Any]:
    return display(load_settings(context.home))


@router.post(
    "/api/config/update",
    summary="Change keys of several sections at once: all are saved or none",
    responses=INVALID,
)
async def update_config(
    changes: Annotated[
        dict[Category, dict[str, Any]],
        Body(examples=[{"risk": {"max_open_positions": 3}, "trading": {"quantity": 2}}]),
    ],
    context: Context,
) -> dict[str, Any]:
    return _update(context, {str(section): values for section, values in changes.items()})


def _update(context: Context, changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if not changes or not any(changes.values()):
        raise SettingsError([Problem("body", "nothing to change: give at least one key")])
    settings = save_sections(context.home, changes)
    log_change(context.manager, changes)
    sections = list(changes)
    shown = display(settings)
    return {
        "updated": sections,
        "applied": apply_live(context.manager, settings, sections),
        "settings": {section: shown[section] for section in sections},
    }
