"""Example hall configurations shipped with Antrean (example data, not official)."""
