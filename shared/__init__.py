"""Antrean's library, under every app: the hall config, the clock, Bahasa Indonesia (dates,
times, shared sentences), the speech text, the ledger, the hub and the station client.
docs/architecture.md describes the layers."""

__version__ = "0.1.0"
