"""Antrean's common library: config, ledger, hub, station client, speech text, Qt theme."""

__version__ = "0.1.0"
