"""Turning scalpbot's errors into one-line CLI messages with exit code 2."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from scalpbot.domain import ScalpbotError

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str) -> None:
    """Print `error: message` on one line of stderr and exit with status 2."""
    text = " ".join(message.split())
    print(f"error: {text}", file=sys.stderr)
    raise SystemExit(2)


def one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Report a ScalpbotError (bad config, data, parameter) as one line instead of a trace."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (ScalpbotError, ValueError) as exc:
            fail(str(exc))
            raise  # unreachable: fail exits

    return wrapper
