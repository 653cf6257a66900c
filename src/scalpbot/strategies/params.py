"""Declared strategy parameters: type, default and range in one place.

Declaring them (instead of reading loose kwargs) lets the CLI parse `--param k=v`, the dashboard
generate forms and the optimiser check every swept value against the same declaration. (What is
worth sweeping is narrower than what is valid: a strategy states that in `search_space`, see
`search.py`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scalpbot.domain import ConfigError

_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n"}


@dataclass(frozen=True)
class Param:
    """A parameter of a strategy; use `IntParam`, `FloatParam`, `BoolParam` or `ChoiceParam`.

    Used as a class attribute, it becomes a descriptor: `self.fast` reads the instance's value.
    """

    default: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    doc: str = ""
    kind: str = field(default="str")
    name: str = field(default="", compare=False)

    def __set_name__(self, owner: type, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance.__dict__.get("_params", {}).get(self.name, self.default)

    def parse(self, raw: Any) -> Any:
        """Convert and validate a value (from a string, JSON or Python); raise ConfigError."""
        try:
            value = self._convert(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"parameter {self.name!r}: {raw!r} is not a valid {self.kind}"
            ) from exc
        if self.low is not None and value < self.low:
            raise ConfigError(f"parameter {self.name!r}: {value} is below the minimum {self.low}")
        if self.high is not None and value > self.high:
            raise ConfigError(f"parameter {self.name!r}: {value} is above the maximum {self.high}")
        if self.choices and value not in self.choices:
            allowed = ", ".join(self.choices)
            raise ConfigError(f"parameter {self.name!r}: {value!r} is not one of {allowed}")
        return value

    def _convert(self, raw: Any) -> Any:
        return str(raw)

    def schema(self) -> dict[str, Any]:
        """JSON-able description for forms and optimisers."""
        spec: dict[str, Any] = {"name": self.name, "type": self.kind, "default": self.default}
        for key in ("low", "high", "step"):
            if getattr(self, key) is not None:
                spec[key] = getattr(self, key)
        if self.choices:
            spec["choices"] = list(self.choices)
        if self.doc:
            spec["doc"] = self.doc
        return spec

    def grid(self) -> Sequence[Any]:
        """Candidate values over the declared range (for grid search)."""
        if self.choices:
            return list(self.choices)
        return [self.default]


@dataclass(frozen=True)
class IntParam(Param):
    kind: str = "int"

    def _convert(self, raw: Any) -> int:
        if isinstance(raw, bool):
            raise TypeError("bool is not an int")
        if isinstance(raw, float) and not raw.is_integer():
            raise ValueError("not a whole number")
        return int(raw)

    def grid(self) -> Sequence[Any]:
        if self.low is None or self.high is None:
            return [self.default]
        step = int(self.step or 1)
        return list(range(int(self.low), int(self.high) + 1, step))


@dataclass(frozen=True)
class FloatParam(Param):
    kind: str = "float"

    def _convert(self, raw: Any) -> float:
        if isinstance(raw, bool):
            raise TypeError("bool is not a number")
        value = float(raw)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("not finite")
        return value

    def grid(self) -> Sequence[Any]:
        if self.low is None or self.high is None or not self.step:
            return [self.default]
        count = round((self.high - self.low) / self.step)
        return [round(self.low + i * self.step, 10) for i in range(count + 1)]


@dataclass(frozen=True)
class BoolParam(Param):
    kind: str = "bool"

    def _convert(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("not a boolean")

    def grid(self) -> Sequence[Any]:
        return [False, True]


@dataclass(frozen=True)
class ChoiceParam(Param):
    kind: str = "choice"

    def _convert(self, raw: Any) -> str:
        return str(raw).strip().lower()


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """Turn `["fast=10", "kind=ema"]` into a dict; a malformed item raises ConfigError."""
    result: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {item!r}: expected NAME=VALUE")
        result[name.strip()] = value.strip()
    return result
