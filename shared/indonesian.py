"""Dates and times as Indonesians read them, without depending on the machine's locale."""

from __future__ import annotations

import datetime as dt

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember")
# Indonesia's three zones; anything else shows its UTC offset.
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
              "Asia/Jayapura": "WIT"}


def tanggal(day: dt.date) -> str:
    """'Senin, 30 November 2026'."""
    return f"{HARI[day.weekday()]}, {day.day} {BULAN[day.month - 1]} {day.year}"


def zone_name(timezone: str, moment: dt.datetime | None = None) -> str:
    if timezone in ZONE_NAMES:
        return ZONE_NAMES[timezone]
    if moment is not None and moment.utcoffset() is not None:
        return moment.strftime("UTC%z")
    return timezone


def jam(moment: dt.datetime, timezone: str) -> str:
    """'08:03 WIB'."""
    return f"{moment:%H:%M} {zone_name(timezone, moment)}"
