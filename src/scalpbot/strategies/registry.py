"""Finding a strategy by name: a built-in, or a user's class as `path/to/file.py:ClassName`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from scalpbot.domain import ConfigError
from scalpbot.strategies.base import Strategy
from scalpbot.strategies.builtin.breakout import Breakout
from scalpbot.strategies.builtin.ma_cross import MACross
from scalpbot.strategies.builtin.rsi_reversion import RSIReversion

BUILTINS: dict[str, type[Strategy]] = {cls.name: cls for cls in (MACross, RSIReversion, Breakout)}


def load_strategy_class(spec: str) -> type[Strategy]:
    """Resolve `spec`: a built-in name (`ma_cross`) or `file.py:ClassName`."""
    if spec in BUILTINS:
        return BUILTINS[spec]
    path_text, sep, class_name = spec.rpartition(":")
    if not sep or not path_text.endswith(".py"):
        known = ", ".join(sorted(BUILTINS))
        raise ConfigError(
            f"unknown strategy {spec!r}: use a built-in ({known}) or path/to/file.py:ClassName"
        )
    path = Path(path_text)
    if not path.is_file():
        raise ConfigError(f"strategy file not found: {path}")
    module_name = f"scalpbot_user_strategy_{abs(hash(path.resolve()))}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ConfigError(f"cannot import strategy file {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise ConfigError(f"strategy file {path} failed to import: {exc!r}") from exc
    found = getattr(module, class_name, None)
    if not (isinstance(found, type) and issubclass(found, Strategy)):
        raise ConfigError(f"{path} has no Strategy subclass named {class_name!r}")
    return found


def create_strategy(spec: str, params: dict[str, object] | None = None) -> Strategy:
    return load_strategy_class(spec)(**(params or {}))
