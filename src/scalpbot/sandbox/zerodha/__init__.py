"""A local Kite Connect v3 server: REST, login, the binary ticker, order matching and faults."""
