"""Wiring for a paper or live session: config → broker → feed → engine → store → alerts."""
