"""Bahasa Indonesia shared by the packages: dates and times as Indonesians read them (without
depending on the machine's locale), and the sentences that more than one package shows."""

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


def kapan(day: dt.date | None) -> str:
    """When a visitor can come back: 'pada Selasa, 1 Desember 2026', or 'pada hari kerja
    berikutnya' when no opening day is known."""
    return ON_DAY.format(date=tanggal(day)) if day else NEXT_WORKING_DAY


# --- sentences that more than one package shows ---------------------------------------------
# Each said once here, so the hub, the station client, the ledger and the apps cannot drift
# apart (an officer who sees one sentence from the hub and another from one-PC mode asks which
# is right). Sentences only one package shows stay beside it (kiosk/i18n.py and so on).

# Why no number can be taken now, and when to come back: the ledger's refusal says it, the
# kiosk shows it (beside its English). {when} is kapan(day).
ON_DAY = "pada {date}"
NEXT_WORKING_DAY = "pada hari kerja berikutnya"
COME_BACK = "Silakan datang kembali {when}."
CLOSED_HOLIDAY = "Hari ini libur ({name}). " + COME_BACK
CLOSED_TODAY = "Layanan {service} tidak buka hari ini. " + COME_BACK
CLOSED_NOT_YET_OPEN = "Pengambilan nomor antrean dibuka pukul {time}."
CLOSED_CUTOFF = ("Pengambilan nomor antrean untuk layanan ini sudah ditutup pukul {time}. "
                 + COME_BACK)
CLOSED_QUOTA_FULL = "Kuota hari ini untuk layanan {service} sudah habis. " + COME_BACK

# A station's command failed: the hub's (or one-PC mode's) ledger failed, the hub refused it
# without its own words, the officer's ID or PIN is wrong.
SYSTEM_FAULT = "Sistem antrean sedang bermasalah. Hubungi petugas."
COMMAND_REFUSED = "Perintah ditolak server."
# The hub's disk is below its free-space floor: no new tickets, waiting visitors are still served.
DISK_LOW = ("Maaf, nomor antrean baru belum dapat diambil karena penyimpanan server antrean "
            "hampir penuh. Silakan hubungi petugas.")
WRONG_PIN = "ID petugas atau PIN salah."
