"""How long the kiosk spends turning a ticket into printer bytes and into a preview.

    .venv/bin/python benchmarks/bench_printing.py [--runs 300]

Prints p50/p99 per step in milliseconds and, as a yardstick measured in the same run on the same
machine, a bare python-escpos Dummy job (init, one line, cut): the ratio says how much our layout,
wrapping, QR and image work cost over the minimum python-escpos itself needs.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from escpos.printer import Dummy

from kiosk.printing import render_escpos, render_png
from kiosk.ticket import PAPERS, Paper, TicketContent, TicketLayout, layout_ticket
from shared.ticket_url import new_secret, ticket_url
from tests.helpers.printing import sample_content

CONTENT = sample_content()  # the ticket the golden files and previews are made from


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """p50 and p99 in milliseconds, after a few warm-up calls (imports, font and QR caches)."""
    for _ in range(5):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[98]


def bare_escpos_job() -> bytes:
    printer = Dummy()
    printer.hw("INIT")
    printer.set(align="center", bold=True, custom_size=True, width=4, height=4)
    printer.text("KTP-023\n")
    printer.cut()
    return printer.output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()

    base50, base99 = measure(bare_escpos_job, args.runs)
    rows: list[tuple[str, float, float]] = [("baseline: bare Dummy init+text+cut", base50, base99)]
    tickets = itertools.count(1)

    def fresh() -> TicketContent:
        # A new number and QR payload each time, as at the kiosk: no cache helps across tickets.
        n = next(tickets) % 1000
        return replace(CONTENT, label=f"KTP-{n:03d}",
                       qr_payload=ticket_url("https://antrean.sukoharjo.example",
                                             f"20261127-KTP-{n:03d}", new_secret()))

    def steps_for(paper: Paper) -> list[tuple[str, Callable[[], object]]]:
        def layout() -> TicketLayout:
            return layout_ticket(fresh(), paper)

        return [
            (f"{paper} layout_ticket", layout),
            (f"{paper} layout + ESC/POS (QR image)",
             lambda: render_escpos(layout(), None, False)),
            (f"{paper} layout + ESC/POS (native QR)", lambda: render_escpos(layout(), None, True)),
            (f"{paper} layout + PNG preview", lambda: render_png(layout())),
        ]

    for paper in PAPERS:
        for name, fn in steps_for(paper):
            p50, p99 = measure(fn, args.runs)
            rows.append((name, p50, p99))

    print(f"python {sys.version.split()[0]}, {args.runs} runs per step")
    print(f"{'step':44} {'p50 ms':>8} {'p99 ms':>8} {'p50 / baseline':>15}")
    for name, p50, p99 in rows:
        print(f"{name:44} {p50:8.2f} {p99:8.2f} {p50 / base50:14.1f}x")


if __name__ == "__main__":
    main()
