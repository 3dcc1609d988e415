"""The reports' charts, drawn on the server with matplotlib as SVG: the same figure goes into
the console's page and the PDF. Each chart names the table that holds its numbers.

matplotlib's object API (Figure, no pyplot): no global state, no GUI backend, safe in a
server's worker thread."""

from __future__ import annotations

import io
from dataclasses import dataclass

from shared.reports.figures import Report

BLUE, ORANGE, GREY = "#1f5fa8", "#e07b00", "#8a8a8a"


@dataclass(frozen=True)
class Chart:
    name: str
    title_id: str
    title_en: str
    table: str  # the table (definitions.TABLES) with the chart's numbers
    svg: str


def _svg(fig: object) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")  # type: ignore[attr-defined]
    text = buf.getvalue()
    return text[text.index("<svg"):]  # no XML prolog: the SVG goes inline in HTML


def _figure(width: float, height: float) -> object:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.set_layout_engine("constrained")
    return fig


def charts(report: Report) -> list[Chart]:
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text (smaller, searchable)
    matplotlib.rcParams["font.family"] = "DejaVu Sans"
    return [_hours(report), _waits(report), _heatmap(report)]


def hours_span(report: Report) -> range:
    """The hours with any arrival (the hall's day), at least 08-15."""
    per_hour = [sum(day[h] for day in report.arrivals.values()) for h in range(24)]
    busy = [h for h in range(24) if per_hour[h]]
    return range(min([8, *busy]), max([15, *busy]) + 1)


def _hours(report: Report) -> Chart:
    span = hours_span(report)
    per_hour = [sum(day[h] for day in report.arrivals.values()) for h in span]
    fig = _figure(7, 2.6)
    ax = fig.add_subplot()  # type: ignore[attr-defined]
    bars = ax.bar([f"{h:02d}" for h in span], per_hour, color=BLUE)
    if report.peak_hour is not None and report.peak_hour in span:
        bars[span.index(report.peak_hour)].set_color(ORANGE)
    ax.set_xlabel("Jam")
    ax.set_ylabel("Nomor antrean")
    ax.spines[["top", "right"]].set_visible(False)
    return Chart("hours", "Kedatangan per jam (jam puncak oranye)",
                 "Arrivals per hour (peak hour in orange)", "hours", _svg(fig))


def _waits(report: Report) -> Chart:
    rows = report.rows
    fig = _figure(7, 0.6 + 0.45 * max(1, len(rows)))
    ax = fig.add_subplot()  # type: ignore[attr-defined]
    # Codes keep the axis short; officers by name (their ids mean nothing to a reader).
    names = [r.name if report.by == "officer" else r.key for r in rows][::-1]
    pos = list(range(len(rows)))
    wait = [r.avg_wait_min or 0 for r in rows][::-1]
    service = [r.avg_service_min or 0 for r in rows][::-1]
    ax.barh([p + 0.2 for p in pos], wait, height=0.4, color=BLUE, label="Rata-rata tunggu")
    ax.barh([p - 0.2 for p in pos], service, height=0.4, color=ORANGE,
            label="Rata-rata layanan")
    for p, r in zip(pos, rows[::-1], strict=True):
        if r.standard_min is not None:
            ax.plot([r.standard_min] * 2, [p - 0.45, p + 0.45], color=GREY, linewidth=2)
    ax.plot([], [], color=GREY, linewidth=2, label="Standar pelayanan")
    ax.set_yticks(pos, names)
    ax.set_xlabel("Menit")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return Chart("waits", "Waktu tunggu dan layanan terhadap standar",
                 "Waiting and service time against the standard", "times", _svg(fig))


def _heatmap(report: Report) -> Chart:
    span = hours_span(report)
    days = list(report.arrivals)
    matrix = [[report.arrivals[d][h] for h in span] for d in days]
    fig = _figure(7, 1.0 + 0.16 * max(1, len(days)))
    ax = fig.add_subplot()  # type: ignore[attr-defined]
    image = ax.imshow(matrix or [[0]], aspect="auto", cmap="Blues", interpolation="nearest")
    ax.set_xticks(range(len(span)), [f"{h:02d}" for h in span], fontsize=7)
    step = max(1, len(days) // 16)
    ax.set_yticks(range(0, len(days), step), [d.strftime("%d/%m") for d in days][::step],
                  fontsize=7)
    ax.set_xlabel("Jam")
    fig.colorbar(image, ax=ax, label="Nomor antrean")  # type: ignore[attr-defined]
    return Chart("heatmap", "Kedatangan per hari dan jam", "Arrivals per day and hour",
                 "arrivals", _svg(fig))
