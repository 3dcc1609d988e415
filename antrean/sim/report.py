"""The simulated day's report: per agency issued / served / no-show, waits and service times
against the published standard, quota refusals; the hub's lag; the invariants. Built from the
hub's ledger file and the stations' summaries; rendered as Markdown (and kept as JSON)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from antrean.sim.day import DayPlan
from antrean.sim.invariants import Check
from shared.indonesian import tanggal
from shared.ledger import model as m
from shared.ledger.queries import Figures, LedgerReader, percentile


def total_figures(conn: sqlite3.Connection, day: dt.date) -> Figures:
    """The whole hall's figures, counted straight from the tickets (not by adding agencies up,
    so that the two can be checked against each other)."""
    rows = conn.execute(
        "SELECT status, issued_at, called_at, started_at, ended_at FROM tickets "
        "WHERE service_day=?", (day.isoformat(),)).fetchall()
    waits = [(r["called_at"] - r["issued_at"]) / 60000 for r in rows if r["called_at"]]
    services = [(r["ended_at"] - (r["started_at"] or r["called_at"])) / 60000
                for r in rows if r["status"] == m.FINISHED and r["called_at"]]
    status = Counter(r["status"] for r in rows)
    return Figures(
        key="TOTAL", issued=len(rows), served=status[m.FINISHED], no_show=status[m.NO_SHOW],
        cancelled=status[m.CANCELLED], waiting=status[m.WAITING],
        expired=status[m.EXPIRED],
        avg_wait_min=_mean(waits), p90_wait_min=percentile(waits, 90),
        avg_service_min=_mean(services), p90_service_min=percentile(services, 90),
        standard_min=None)


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _spread(xs: list[float]) -> dict[str, float | int | None]:
    return {"n": len(xs), "p50": percentile(xs, 50), "p95": percentile(xs, 95),
            "p99": percentile(xs, 99), "max": max(xs) if xs else None}


def _round(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


def build_report(conn: sqlite3.Connection, plan: DayPlan, stations: list[dict[str, Any]],
                 visitors: int, run: dict[str, Any], checks: list[Check], since: int = 0
                 ) -> dict[str, Any]:
    """The day's report; `since` is the last seq before the day began (a run of several days
    counts each day's events only)."""
    config = plan.config
    reader = LedgerReader(conn, config)
    by_agency = {f.key: f for f in reader.figures(plan.day, by="agency")}
    total = total_figures(conn, plan.day)
    kiosks = [s for s in stations if s["role"] == "kiosk"]
    counters = [s for s in stations if s["role"] == "counter"]
    refused = [r for k in kiosks for r in k.get("refused", [])]
    refused_by = Counter((config.services[r["service"]].agency, r["code"]) for r in refused)
    working = Counter(c.agency for c in plan.counters)
    idle = Counter(config.counters[n].agency for n in plan.idle_counters)
    agencies = []
    for code, agency in config.agencies.items():
        if code not in working and code not in idle and code not in by_agency:
            continue  # none of its counters is in this simulation
        f = by_agency.get(code)
        row: dict[str, Any] = {
            "agency": code, "name": agency.short_name, "counters": working.get(code, 0),
            "closed_today": code not in working,
            "refused_quota": refused_by.get((code, "quota_full"), 0),
            "refused_other": sum(n for (a, c), n in refused_by.items()
                                 if a == code and c != "quota_full"),
            "standard_min": _round(_mean(
                [float(s.standard_minutes) for s in config.services_of(code)])),
        }
        if f is not None:
            row.update({
                "issued": f.issued, "served": f.served, "no_show": f.no_show,
                "waiting": f.waiting, "cancelled": f.cancelled,
                "avg_wait_min": _round(f.avg_wait_min), "p90_wait_min": _round(f.p90_wait_min),
                "avg_service_min": _round(f.avg_service_min),
                "p90_service_min": _round(f.p90_service_min),
            })
        else:
            row.update({"issued": 0, "served": 0, "no_show": 0, "waiting": 0, "cancelled": 0,
                        "avg_wait_min": None, "p90_wait_min": None, "avg_service_min": None,
                        "p90_service_min": None})
        agencies.append(row)
    counts: Counter[str] = Counter()
    for c in counters:
        counts.update(c.get("counts", {}))
    events = Counter(r[0] for r in conn.execute("SELECT kind FROM events WHERE seq > ?",
                                                (since,)))
    hourly: dict[str, dict[str, int]] = {}
    for kind, key in ((m.TICKET_ISSUED, "issued"), (m.TICKET_CALLED, "called"),
                      (m.TICKET_FINISHED, "finished")):
        for (at_ms,) in conn.execute("SELECT at_ms FROM events WHERE kind=? AND seq > ?",
                                     (kind, since)):
            hour = dt.datetime.fromtimestamp(at_ms / 1000, config.tz).strftime("%H:00")
            hourly.setdefault(hour, {"issued": 0, "called": 0, "finished": 0})[key] += 1
    last_finish = conn.execute(
        "SELECT max(at_ms) FROM events WHERE kind IN (?, ?, ?) AND seq > ?",
        (m.TICKET_FINISHED, m.TICKET_NO_SHOW, m.OFFICER_SIGNED_OUT, since)).fetchone()[0]
    line = [a["line_s"] / 60 for k in kiosks for a in k.get("acknowledged", [])]
    late = {role: [x for s in stations if s["role"] == role for x in s["timing"]["late_s"]]
            for role in ("kiosk", "counter")}
    rtt = {role: [x for s in stations if s["role"] == role for x in s["timing"]["rtt_ms"]]
           for role in ("kiosk", "counter")}
    return {
        "mpp": config.mpp.name, "example_config": config.mpp.example,
        "day": plan.day.isoformat(), "tanggal": tanggal(plan.day), "weekday": f"{plan.day:%A}",
        "hours": {
            "tickets_from": plan.tickets_from.strftime("%H:%M"),
            "opens": plan.hall_opens.strftime("%H:%M"),
            "last_cutoff": plan.last_cutoff.strftime("%H:%M"),
            "closes": plan.hall_closes.strftime("%H:%M"),
            "breaks": [f"{s:%H:%M}-{e:%H:%M}" for s, e in plan.hall_breaks],
            "last_counter_activity": (
                dt.datetime.fromtimestamp(last_finish / 1000, config.tz).strftime("%H:%M")
                if last_finish else None),
        },
        "run": run,
        "totals": {
            "visitors": visitors,
            "acknowledged": sum(len(k.get("acknowledged", [])) for k in kiosks),
            "issued": total.issued, "served": total.served, "no_show": total.no_show,
            "waiting_at_end": total.waiting, "cancelled": total.cancelled,
            "refused": dict(Counter(r["code"] for r in refused)),
            "priority": conn.execute(
                "SELECT count(*) FROM tickets WHERE is_priority=1 AND service_day=?",
                (plan.day.isoformat(),)).fetchone()[0],
            "recalls": events[m.TICKET_RECALLED], "transfers": events[m.TICKET_TRANSFERRED],
            "returned_no_shows": events[m.TICKET_REQUEUED],
            "events": sum(events.values()),
            "avg_wait_min": _round(total.avg_wait_min), "p90_wait_min": _round(total.p90_wait_min),
            "avg_service_min": _round(total.avg_service_min),
            "p90_service_min": _round(total.p90_service_min),
            "counter_actions": dict(counts),
            "kiosk_line_min": {"avg": _round(_mean(line)), "p90": _round(percentile(line, 90)),
                               "max": _round(max(line) if line else None)},
        },
        "agencies": agencies,
        "hourly": dict(sorted(hourly.items())),
        "lag": {
            "late_sim_seconds": {role: _spread(xs) for role, xs in late.items()},
            "reply_real_ms": {role: _spread(xs) for role, xs in rtt.items()},
            "rate_limited": sum(s["timing"].get("rate_limited", 0) for s in stations),
        },
        "checks": [c.to_dict() for c in checks],
        "ok": all(c.ok for c in checks),
    }


def _f(x: float | int | None, digits: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:,.{digits}f}"


def _n(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_markdown(r: dict[str, Any]) -> str:
    if "days" in r:
        return render_run_markdown(r)
    t, run, h = r["totals"], r["run"], r["hours"]
    refused = ", ".join(f"{code} {n}" for code, n in sorted(r["totals"]["refused"].items()))
    lines = [
        f"# Simulated day: {r['mpp']}",
        "",
        f"{r['tanggal']} ({r['day']}), simulated by `antrean simulate`"
        + (" on the example hall config (not official data)." if r["example_config"] else "."),
        "",
        "```",
        run["command"],
        "```",
        "",
        f"- Wall time: **{run['wall_seconds']:.0f} s** ({run['wall_seconds'] / 60:.1f} min) "
        f"on this machine, {run['speed']:g}× real time; simulated "
        f"{run['sim_start']}–{run['sim_end']} WIB.",
        f"- Hall: {_n(run['counters'], 'counter')} ({run['counters_working']} working today), "
        f"{_n(run['kiosks'], 'kiosk')}, {_n(run['boards'], 'board')}; "
        f"{run['worker_processes']} station "
        f"processes and one hub process on 127.0.0.1, every station a real LAN client with its "
        f"own replica. Seed {run['seed']}.",
        f"- Hours: tickets from {h['tickets_from']}, open {h['opens']}, last cutoff "
        f"{h['last_cutoff']}, close {h['closes']}"
        + (f", break {', '.join(h['breaks'])}" if h["breaks"] else ", no break")
        + f"; last counter activity {h['last_counter_activity'] or '–'}.",
        f"- Result: **{'all invariants hold' if r['ok'] else 'INVARIANTS FAILED'}**.",
        "",
        "## The day in numbers",
        "",
        "| visitors | tickets issued | refused at the kiosk | served | no-show | waiting at "
        "end | priority | transfers | returned no-shows | recalls | events |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {_f(t['visitors'])} | {_f(t['issued'])} | {refused or '–'} | {_f(t['served'])} | "
        f"{_f(t['no_show'])} | {_f(t['waiting_at_end'])} | {_f(t['priority'])} | "
        f"{_f(t['transfers'])} | {_f(t['returned_no_shows'])} | {_f(t['recalls'])} | "
        f"{_f(t['events'])} |",
        "",
        f"Waiting time (issue → first call): average {_f(t['avg_wait_min'])} min, 90th "
        f"percentile {_f(t['p90_wait_min'])} min. Service time (start → finish): average "
        f"{_f(t['avg_service_min'])} min, 90th percentile {_f(t['p90_service_min'])} min. "
        f"Line at the kiosks (arrival → ticket): average {_f(t['kiosk_line_min']['avg'])} min, "
        f"90th percentile {_f(t['kiosk_line_min']['p90'])} min, longest "
        f"{_f(t['kiosk_line_min']['max'])} min.",
        "",
        "## Per agency",
        "",
        "Times in minutes. *Standard* is the average published standard time of the agency's "
        "services; *service* is start → finish of served visitors; *wait* is issue → first "
        "call. *Quota* counts kiosk refusals because a service's daily quota was used up; "
        "*other* counts refusals after a service's cutoff.",
        "",
        "| agency | counters | issued | served | no-show | waiting | quota | other | avg wait "
        "| p90 wait | avg service | p90 service | standard |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for a in r["agencies"]:
        name = a["name"]
        if a["closed_today"]:
            lines.append(f"| {name} | closed today | | | | | | | | | | | {_f(a['standard_min'])} |")
            continue
        over = (a["avg_service_min"] is not None and a["standard_min"] is not None
                and a["avg_service_min"] > a["standard_min"])
        lines.append(
            f"| {name} | {a['counters']} | {_f(a['issued'])} | {_f(a['served'])} | "
            f"{_f(a['no_show'])} | {_f(a['waiting'])} | {_f(a['refused_quota'])} | "
            f"{_f(a['refused_other'])} | {_f(a['avg_wait_min'])} | {_f(a['p90_wait_min'])} | "
            f"{_f(a['avg_service_min'])}{' ⚠' if over else ''} | {_f(a['p90_service_min'])} | "
            f"{_f(a['standard_min'])} |")
    lines += [
        f"| **total** | {run['counters_working']} | {_f(t['issued'])} | {_f(t['served'])} | "
        f"{_f(t['no_show'])} | {_f(t['waiting_at_end'])} | "
        f"{_f(t['refused'].get('quota_full', 0))} | "
        f"{_f(sum(n for c, n in t['refused'].items() if c != 'quota_full'))} | "
        f"{_f(t['avg_wait_min'])} | {_f(t['p90_wait_min'])} | {_f(t['avg_service_min'])} | "
        f"{_f(t['p90_service_min'])} | |",
        "",
        "## Hour by hour (WIB)",
        "",
        "| hour | tickets issued | calls | finished |",
        "|---|---:|---:|---:|",
    ]
    for hour, row in r["hourly"].items():
        lines.append(f"| {hour} | {_f(row['issued'])} | {_f(row['called'])} | "
                     f"{_f(row['finished'])} |")
    lag = r["lag"]
    lines += [
        "",
        "## Did the hub keep up?",
        "",
        "*Late* is how long after the simulated moment a station wanted to act its command went "
        "out (simulated seconds; the stations' own event loops included); *reply* is the real "
        "time from sending a command to the hub's answer (durable commit included).",
        "",
        "| station | commands | late p50 | late p95 | late max | reply p50 | reply p95 | "
        "reply p99 | reply max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for role in ("kiosk", "counter"):
        ls, rs = lag["late_sim_seconds"][role], lag["reply_real_ms"][role]
        lines.append(
            f"| {role} | {_f(rs['n'])} | {_f(ls['p50'])} s | {_f(ls['p95'])} s | "
            f"{_f(ls['max'])} s | {_f(rs['p50'])} ms | {_f(rs['p95'])} ms | "
            f"{_f(rs['p99'])} ms | {_f(rs['max'])} ms |")
    lines += ["", f"Commands the hub's per-station rate limit turned back (then sent again "
              f"with the same id): {_f(lag['rate_limited'])}.", "", "## Invariants", ""]
    for c in r["checks"]:
        lines.append(f"- [{'x' if c['ok'] else ' '}] {c['name']}: {c['detail']}")
    lines.append("")
    return "\n".join(lines)


# The day figures a run of several days adds up.
SUMMED = ("visitors", "acknowledged", "issued", "served", "no_show", "waiting_at_end",
          "cancelled", "priority", "recalls", "transfers", "returned_no_shows", "events")


def build_run_report(days: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    """Several days in one ledger: each day's report as it was checked, and the totals."""
    totals: dict[str, Any] = {k: sum(r["totals"][k] for r in days) for k in SUMMED}
    refused: Counter[str] = Counter()
    for r in days:
        refused.update(r["totals"]["refused"])
    totals["refused"] = dict(refused)
    for key in ("avg_wait_min", "avg_service_min"):
        # Weighted by the tickets each day's average covers.
        weight = "issued" if key == "avg_wait_min" else "served"
        parts = [(r["totals"][key], r["totals"][weight]) for r in days
                 if r["totals"][key] is not None]
        n = sum(w for _, w in parts)
        totals[key] = _round(sum(x * w for x, w in parts) / n) if n else None
    first = days[0]
    return {
        "mpp": first["mpp"], "example_config": first["example_config"],
        "first_day": first["day"], "last_day": days[-1]["day"],
        "run": {**run, "days": len(days), "counters": first["run"]["counters"],
                "kiosks": first["run"]["kiosks"], "boards": first["run"]["boards"]},
        "totals": totals,
        "days": days,
        "ok": all(r["ok"] for r in days),
    }


def render_run_markdown(r: dict[str, Any]) -> str:
    run, t = r["run"], r["totals"]
    days = r["days"]
    lines = [
        f"# Simulated days: {r['mpp']}",
        "",
        f"{_n(run['days'], 'working day')} from {days[0]['tanggal']} to {days[-1]['tanggal']} "
        f"in one ledger, simulated by `antrean simulate`"
        + (" on the example hall config (not official data)." if r["example_config"] else "."),
        "",
        "```",
        run["command"],
        "```",
        "",
        f"- Wall time: **{run['wall_seconds']:.0f} s** ({run['wall_seconds'] / 60:.1f} min) "
        f"on this machine, {run['speed']:g}× real time; each day a hub process from 06:45 of "
        f"the day on the same ledger and station tokens, the stations keeping their replicas "
        f"overnight. Seed {run['seed']} (each day its own visitors).",
        f"- Result: **{'all invariants hold on every day' if r['ok'] else 'INVARIANTS FAILED'}**.",
        "",
        "## Day by day",
        "",
        "| day | hours | visitors | issued | served | no-show | waiting at end | avg wait | "
        "avg service | events | wall | invariants |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for d in days:
        dt_, failed = d["totals"], [c for c in d["checks"] if not c["ok"]]
        lines.append(
            f"| {d['weekday'][:3]} {d['day']} | {d['run']['sim_start']}–{d['run']['sim_end']} | "
            f"{_f(dt_['visitors'])} | {_f(dt_['issued'])} | {_f(dt_['served'])} | "
            f"{_f(dt_['no_show'])} | {_f(dt_['waiting_at_end'])} | {_f(dt_['avg_wait_min'])} | "
            f"{_f(dt_['avg_service_min'])} | {_f(dt_['events'])} | "
            f"{d['run']['wall_seconds']:.0f} s | "
            + (f"{len(d['checks'])} hold" if not failed else f"{len(failed)} FAILED") + " |")
    lines += [
        f"| **total** | | {_f(t['visitors'])} | {_f(t['issued'])} | {_f(t['served'])} | "
        f"{_f(t['no_show'])} | {_f(t['waiting_at_end'])} | {_f(t['avg_wait_min'])} | "
        f"{_f(t['avg_service_min'])} | {_f(t['events'])} | {run['wall_seconds']:.0f} s | |",
        "",
        "Times in minutes; *avg wait* is issue → first call, *avg service* start → finish "
        "(totals weighted by the day's tickets). Tickets still waiting at a day's end expire "
        "when the next day's hub closes that day.",
    ]
    if "skm" in r:
        k = r["skm"]
        lines += ["", "## SKM", "",
                  f"{k['period']}: {k['respondents']} respondents of {k['population']} served "
                  f"(sample {k['sample']}, {'cukup' if k['enough'] else 'belum cukup'}), "
                  + (f"IKM {k['ikm']} ({k['mutu']})." if k["ikm"] is not None else "no IKM.")
                  + " In `skm-report.pdf` and `skm-report.xlsx`."]
    lines += ["", "## Invariants, day by day", ""]
    for d in days:
        failed = [c for c in d["checks"] if not c["ok"]]
        if not failed:
            lines.append(f"- {d['day']}: all {len(d['checks'])} hold")
        for c in failed:
            lines.append(f"- {d['day']}: [ ] {c['name']}: {c['detail']}")
    lines.append("")
    return "\n".join(lines)


def write_report(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    import json

    out.mkdir(parents=True, exist_ok=True)
    md, js = out / "report.md", out / "report.json"
    md.write_text(render_markdown(report), encoding="utf-8")
    js.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    return md, js
