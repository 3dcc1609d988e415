"""The simulated visitors' SKM answers: after the day, a share of the served visitors answer
the survey through a real web station's token and the real `answer_survey` command (as their
phones would through `antrean web` that evening, within the 24-hour window).

Each agency gets a "quality" drawn from the seed, each unsur its usual lean (fees are mostly
free, complaints handling rates lowest in real SKM reports), so the report has weak and strong
elements to show. Same seed, same answers."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
from pathlib import Path
from typing import Any

from shared import skm
from shared.hub import protocol as p
from shared.station.client import HubClient

# How each unsur leans against the agency's quality (U4 biaya: most MPP services are free;
# U8 pengaduan: the lowest in most published SKM reports).
LEAN = (0.0, -0.1, -0.3, 0.5, 0.05, 0.1, 0.2, -0.45, -0.05)
SARAN = (
    "Ruang tunggu kurang kursi saat ramai pagi hari.",
    "Petugas ramah dan cepat, terima kasih.",
    "Mohon ditambah loket untuk layanan ini.",
    "Informasi persyaratan di website belum lengkap.",
    "Toilet perlu lebih sering dibersihkan.",
    "Pelayanan sudah baik, pertahankan.",
    "Parkir motor penuh, mohon diperluas.",
    "Antrean online sangat membantu.",
)
SARAN_SHARE = 0.2
IN_FLIGHT = 8  # answers sent at once: under the hub's per-station rate


def answers_for(rng: random.Random, quality: float) -> list[int]:
    return [max(1, min(4, round(rng.gauss(quality + lean, 0.55)))) for lean in LEAN]


def profile_for(rng: random.Random) -> dict[str, str]:
    weights = {"umur": (4, 28, 30, 20, 12, 6), "jenis_kelamin": (52, 48),
               "pendidikan": (8, 14, 40, 12, 22, 4), "pekerjaan": (10, 2, 2, 34, 28, 10, 14)}
    return {f.key: rng.choices(f.codes(), weights[f.key])[0] for f in skm.PROFILE}


def plan_answers(ledger: Path, share: float, seed: int, day: dt.date | None = None
                 ) -> list[dict[str, Any]]:
    """The answer_survey arguments for `share` of the tickets served, from the hub's ledger
    (read only: the secrets every replica knows); with `day`, of that service day only."""
    conn = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT t.ticket_id, t.agency, json_extract(e.data, '$.secret') FROM tickets t "
            "JOIN events e ON e.ticket_id = t.ticket_id AND e.kind = 'ticket.issued' "
            "WHERE t.status = 'finished' AND (? IS NULL OR t.service_day = ?) "
            "ORDER BY t.ticket_id", (day.isoformat() if day else None,) * 2).fetchall()
    finally:
        conn.close()
    rng = random.Random(f"skm-{seed}")
    if day is None:
        quality = {a: rng.uniform(2.7, 3.6) for a in sorted({r[1] for r in rows})}
    else:
        # An agency is as good on every day of a run: its quality comes from the seed alone,
        # each day's answers from the seed and the day.
        quality = {a: random.Random(f"skm-{seed}-{a}").uniform(2.7, 3.6)
                   for a in {r[1] for r in rows}}
        rng = random.Random(f"skm-{seed}-{day}")
    out = []
    for ticket, agency, secret in rows:
        if not secret or rng.random() >= share:
            continue
        args: dict[str, Any] = {"ticket": ticket, "secret": secret,
                                "answers": answers_for(rng, quality[agency]),
                                "profile": profile_for(rng)}
        if rng.random() < SARAN_SHARE:
            args["saran"] = rng.choice(SARAN)
        out.append(args)
    return out


async def send_answers(hub: str, token: str, plan: list[dict[str, Any]],
                       ids: str = "sim-skm") -> tuple[int, int]:
    """Send the answers as a web station; (answered, refused). A rate-limited answer is sent
    again with its id (nothing was executed)."""
    client = HubClient(hub, token)
    await client.start(timeout=10)
    gate = asyncio.Semaphore(IN_FLIGHT)
    done = [0, 0]

    async def one(i: int, args: dict[str, Any]) -> None:
        async with gate:
            while True:
                result = await client.command("answer_survey", args, f"{ids}-{i}")
                if result.refusal is None or result.refusal.code != p.RATE_LIMITED:
                    break
                await asyncio.sleep(0.2)  # pacing against the hub's rate, not a test wait
            done[0 if result.ok else 1] += 1

    try:
        await asyncio.gather(*(one(i, a) for i, a in enumerate(plan)))
    finally:
        await client.close()
    return done[0], done[1]


def summary_line(report: Any) -> str:
    ikm = f"IKM {report.ikm.value} ({report.ikm.mutu.grade})" if report.ikm else "no IKM"
    return (f"SKM {report.period_text}: {report.respondents} respondents of "
            f"{report.population} served (sample {report.sample}, "
            f"{'cukup' if report.enough else 'belum cukup'}), {ikm}")
