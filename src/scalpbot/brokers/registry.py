"""`create_broker`: a broker adapter by name, the way users and the runtime ask for one.

    broker = create_broker(broker_name="zerodha", api_key=..., api_secret=...)
    broker = create_broker("zerodha", api_key=..., access_token=..., base_url=SANDBOX_URL)
    account = create_broker("paper", capital=Decimal(100000))

"zerodha" gives a `ZerodhaBroker` (the full `Broker` API over Kite Connect). "paper" gives the
paper broker's `PaperAccount`: its profile and funds only. Paper orders are filled by the
simulated exchange a paper session or backtest wires up itself, not through this object.
Adapters are imported on demand, so choosing paper never loads an HTTP client.
"""

from __future__ import annotations

import inspect
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal, overload

from scalpbot.domain import ConfigError

if TYPE_CHECKING:
    from scalpbot.brokers.paper.account import PaperAccount
    from scalpbot.brokers.zerodha.broker import ZerodhaBroker

_SUPPORTED = ("paper", "zerodha")
DEFAULT_PAPER_CAPITAL = Decimal(100000)


def supported_brokers() -> list[str]:
    """Names `create_broker` accepts."""
    return list(_SUPPORTED)


@overload
def create_broker(broker_name: Literal["zerodha"], **kwargs: Any) -> ZerodhaBroker: ...


@overload
def create_broker(broker_name: Literal["paper"], **kwargs: Any) -> PaperAccount: ...


@overload
def create_broker(broker_name: str, **kwargs: Any) -> ZerodhaBroker | PaperAccount: ...


def create_broker(broker_name: str, **kwargs: Any) -> ZerodhaBroker | PaperAccount:
    """The adapter called `broker_name` (any case), built from `kwargs`.

    An unknown name, or an argument the adapter does not take, raises `ConfigError` naming it
    and listing what is accepted.
    """
    name = str(broker_name).strip().lower()
    if name == "zerodha":
        from scalpbot.brokers.zerodha.broker import ZerodhaBroker

        _check_arguments(name, ZerodhaBroker, kwargs)
        return ZerodhaBroker(**kwargs)
    if name == "paper":
        from scalpbot.brokers.paper.account import PaperAccount

        _check_arguments(name, PaperAccount, kwargs)
        return PaperAccount(
            _capital(kwargs.get("capital", DEFAULT_PAPER_CAPITAL)), kwargs.get("books")
        )
    raise ConfigError(
        f"unknown broker {broker_name!r}; supported: {', '.join(supported_brokers())}"
    )


def _check_arguments(name: str, adapter: type, kwargs: dict[str, Any]) -> None:
    accepted = [p for p in inspect.signature(adapter).parameters if p != "self"]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ConfigError(
            f"broker {name!r} does not take {', '.join(unknown)}; it takes: {', '.join(accepted)}"
        )


def _capital(value: Any) -> Decimal:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"paper capital must be an amount, got {value!r}") from None
