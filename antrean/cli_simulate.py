"""`antrean simulate`: a whole service day (or --days N of them) against a real hub, in
minutes.

Drives a real hub process on 127.0.0.1 with simulated kiosks, counters and boards over the LAN
protocol, on a compressed clock; prints and saves the day report (Markdown and JSON) and exits
non-zero if any invariant of the ledger fails. Also the project's soak and load tool."""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from pathlib import Path

from shared.config import ConfigError, example_config_path

# A week with no holiday in the example hall: the day names pick a date in it.
EXAMPLE_WEEK = dt.date(2026, 11, 30)  # Monday
DAYS = ("mon", "tue", "wed", "thu", "fri")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from antrean.sim.runner import DEFAULT_SPEED

    p.add_argument("--visitors", type=int, default=3000, help="visitors who come (default 3000)")
    p.add_argument("--counters", type=int, default=None,
                   help="use the first N counters of the hall config (default: all)")
    p.add_argument("--kiosks", type=int, default=4, help="ticket kiosks (default 4)")
    p.add_argument("--boards", type=int, default=4, help="hall boards (default 4)")
    p.add_argument("--speed", type=float, default=DEFAULT_SPEED,
                   help=f"simulated seconds per real second (default {DEFAULT_SPEED:g}: a "
                        f"Monday takes about 5 minutes)")
    p.add_argument("--day", choices=DAYS, default="mon",
                   help=f"weekday to simulate, in the week of {EXAMPLE_WEEK} (default mon)")
    p.add_argument("--date", type=dt.date.fromisoformat, default=None,
                   help="simulate this date instead (YYYY-MM-DD)")
    p.add_argument("--days", type=int, default=1, metavar="N",
                   help="simulate N working days in one ledger, from --day/--date on "
                        "(weekends and the config's holidays skipped; each day's invariants "
                        "checked); with --survey-share the SKM report covers them all, as the "
                        "month when they fill it (default 1)")
    p.add_argument("--seed", type=int, default=1, help="random seed (same seed, same day)")
    p.add_argument("--config", default=None, help="hall config TOML (default: the example hall)")
    p.add_argument("--out", default="antrean-simulate",
                   help="folder for report.md, report.json and the run's ledger and logs")
    p.add_argument("--survey-share", type=float, default=0.0, metavar="SHARE",
                   help="share of the served visitors (0-1) who answer the SKM survey after "
                        "the day, through a web station's token; OUT then holds the SKM "
                        "report of the day's month, or of the --days run (skm-report.pdf, "
                        "skm-report.xlsx); default 0")
    p.add_argument("--keep-replicas", action="store_true",
                   help="keep every station's replica in OUT/run/replicas")


def run(args: argparse.Namespace) -> int:
    from antrean.sim.report import render_markdown
    from antrean.sim.runner import SimOptions, SimulationError, simulate

    day = args.date or EXAMPLE_WEEK + dt.timedelta(days=DAYS.index(args.day))
    command = "antrean simulate " + " ".join(shlex.quote(a) for a in _own_argv())
    opts = SimOptions(
        config=Path(args.config) if args.config else example_config_path(),
        out=Path(args.out), day=day, visitors=args.visitors, counters=args.counters,
        kiosks=args.kiosks, boards=args.boards, speed=args.speed, seed=args.seed,
        command=command.strip(), keep_replicas=args.keep_replicas,
        survey_share=args.survey_share, days=args.days)
    try:
        report = simulate(opts, progress=lambda msg: print(msg, flush=True))
    except (SimulationError, ConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(render_markdown(report))
    print(f"report saved to {opts.out / 'report.md'} and {opts.out / 'report.json'}")
    if not report["ok"]:
        print("error: invariants failed (see the report)", file=sys.stderr)
        return 1
    return 0


def _own_argv() -> list[str]:
    """The arguments after the word 'simulate', as typed (for the report)."""
    argv = sys.argv[1:]
    return argv[argv.index("simulate") + 1:] if "simulate" in argv else argv
