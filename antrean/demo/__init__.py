"""`antrean demo`: the whole hall on one PC (see antrean/cli_demo.py). The embedded hub and the
plan import no Qt; the hall, the session and the runner compose the Qt apps."""
