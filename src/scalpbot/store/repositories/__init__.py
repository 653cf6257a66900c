"""One repository per group of tables; `Store` (scalpbot.store.database) holds one of each."""

from scalpbot.store.repositories.accounts import BrokerAccountRepository
from scalpbot.store.repositories.backtests import BacktestRepository
from scalpbot.store.repositories.events import EventRepository
from scalpbot.store.repositories.fills import FillRepository
from scalpbot.store.repositories.orders import OrderRepository
from scalpbot.store.repositories.paper_state import PaperStateRepository
from scalpbot.store.repositories.positions import PositionRepository
from scalpbot.store.repositories.sessions import SessionRepository
from scalpbot.store.repositories.settings import SettingsRepository
from scalpbot.store.repositories.strategies import StrategyRepository
from scalpbot.store.repositories.users import (
    ApiTokenRepository,
    LoginSessionRepository,
    UserRepository,
)

__all__ = [
    "ApiTokenRepository",
    "BacktestRepository",
    "BrokerAccountRepository",
    "EventRepository",
    "FillRepository",
    "LoginSessionRepository",
    "OrderRepository",
    "PaperStateRepository",
    "PositionRepository",
    "SessionRepository",
    "SettingsRepository",
    "StrategyRepository",
    "UserRepository",
]
