"""Zerodha Kite Connect v3: REST client, ticker, instrument master and field mapping.

Nothing outside this package knows Kite's field names; everything it hands out is scalpbot's
domain types.
"""
