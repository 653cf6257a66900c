"""Stand-ins for brokers: local servers that speak a broker's wire format, for trying
scalpbot without an account and for testing its adapters."""
