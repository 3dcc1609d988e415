"""Simulated stations that speak the real LAN protocol: for load tests and `antrean simulate`."""
