"""See DESIGN.md for what this layer holds."""

from scalpbot.brokers.registry import create_broker, supported_brokers

__all__ = ["create_broker", "supported_brokers"]
