"""The paper exchange: simulated fills for backtests now and paper trading later.

`PaperExchange` implements the engine's `OrderGateway`; its fill rules are documented in
`scalpbot.brokers.paper.matching`, its order lifecycle in `scalpbot.brokers.paper.exchange`.
"""

from scalpbot.brokers.paper.config import PaperConfig
from scalpbot.brokers.paper.exchange import PaperExchange
from scalpbot.brokers.paper.resting import RestingOrder

__all__ = ["PaperConfig", "PaperExchange", "RestingOrder"]
