"""Bahasa Indonesia shared by the packages: dates and times as Indonesians read them (without
depending on the machine's locale), and the sentences that more than one package shows — with,
for the ones visitors read in both languages (the kiosk, the web pages), their English beside
them (`VISITOR_WORDS`, `date_en`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import ClassVar, Self

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

# The same, in the English the kiosk and the web pages show beside it: key -> (id, en), the
# keys of their word tables (kiosk/i18n.py, web/i18n.py).
ON_DAY_EN = "on {date}"
NEXT_WORKING_DAY_EN = "on the next working day"
COME_BACK_EN = "Please come back {when}."
VISITOR_WORDS: dict[str, tuple[str, str]] = {
    "msg_holiday": (CLOSED_HOLIDAY, "Today is a holiday ({name}). " + COME_BACK_EN),
    "msg_closed_today": (CLOSED_TODAY, "{service} is not served today. " + COME_BACK_EN),
    "msg_not_yet_open": (CLOSED_NOT_YET_OPEN, "Queue numbers are issued from {time}."),
    "msg_cutoff": (CLOSED_CUTOFF,
                   "Queue numbers for this service stopped at {time}. " + COME_BACK_EN),
    "msg_quota_full": (CLOSED_QUOTA_FULL,
                       "Today's numbers for {service} are all taken. " + COME_BACK_EN),
    "msg_come_back": (COME_BACK, COME_BACK_EN),
    "on_day": (ON_DAY, ON_DAY_EN),
    "next_working_day": (NEXT_WORKING_DAY, NEXT_WORKING_DAY_EN),
}
# English dates without the machine's locale (%A and %B follow it).
DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


def date_en(day: dt.date) -> str:
    """'Monday, 30 November 2026'."""
    return f"{DAYS_EN[day.weekday()]}, {day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def kapan_en(day: dt.date | None) -> str:
    """kapan() in English: 'on Tuesday, 1 December 2026', or 'on the next working day'."""
    return ON_DAY_EN.format(date=date_en(day)) if day else NEXT_WORKING_DAY_EN


# A station's command failed: the hub's (or one-PC mode's) ledger failed, the hub refused it
# without its own words, the officer's ID or PIN is wrong.
SYSTEM_FAULT = "Sistem antrean sedang bermasalah. Hubungi petugas."
COMMAND_REFUSED = "Perintah ditolak server."
# The hub's disk is below its free-space floor: no new tickets, waiting visitors are still served.
DISK_LOW = ("Maaf, nomor antrean baru belum dapat diambil karena penyimpanan server antrean "
            "hampir penuh. Silakan hubungi petugas.")
WRONG_PIN = "ID petugas atau PIN salah."


# The words Bilingual.wait looks up, as the console and the web pages say them (the kiosk says
# them its own way, in full sentences for visitors), and the language button's label: it names
# the language it switches to.
WAIT_WORDS: dict[str, tuple[str, str]] = {
    "minutes": ("± {n} menit", "± {n} min"),
    "hours": ("± {h} jam", "± {h} h"),
    "hours_minutes": ("± {h} jam {n} menit", "± {h} h {n} min"),
    "soon": ("segera", "soon"),
    "unknown": ("—", "—"),
}
OTHER_LANGUAGE = ("English", "Bahasa Indonesia")


class Bilingual:
    """`t("key", **fields)` in Indonesian (the default) or English, from a table of
    (Indonesian, English) pairs (`WORDS`, given by the subclass: the kiosk's, the web
    station's, the console's), with the dates, waits and come-back days their screens show.
    Every app keeps its own words; this is the one place that picks the language."""

    LANGS: ClassVar[tuple[str, str]] = ("id", "en")
    WORDS: ClassVar[Mapping[str, tuple[str, str]]] = {}

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in self.LANGS else "id"
        self._i = self.LANGS.index(self.lang)

    @classmethod
    def of(cls, query: Mapping[str, str]) -> Self:
        """The language a page's address asks for (`?lang=en`); Indonesian without one."""
        return cls(query.get("lang", "id"))

    @property
    def query(self) -> dict[str, str]:
        """What a link keeps these words with: `lang` for English, nothing for Indonesian
        (the default, so its addresses stay short)."""
        return {} if self._i == 0 else {"lang": self.lang}

    def other(self) -> Self:
        """The same words in the other language (the language button's target)."""
        return type(self)(self.LANGS[1 - self._i])

    def __call__(self, key: str, **fields: object) -> str:
        text = self.WORDS[key][self._i]
        return text.format(**fields) if fields else text

    def pick(self, indonesian: str, english: str) -> str:
        """One of a pair kept outside the table (a refusal's `pesan` and `message`)."""
        return (indonesian, english)[self._i]

    def date(self, day: dt.date) -> str:
        return tanggal(day) if self.lang == "id" else date_en(day)

    def when(self, day: dt.date | None) -> str:
        """When to come back: kapan() or kapan_en()."""
        return kapan(day) if self.lang == "id" else kapan_en(day)

    def wait(self, minutes: int | None) -> str:
        """A waiting time in words; the table has "unknown", "soon", "minutes", "hours" and
        "hours_minutes" (WAIT_WORDS, or the app's own)."""
        if minutes is None:
            return self("unknown")
        if minutes <= 0:
            return self("soon")
        if minutes < 60:
            return self("minutes", n=minutes)
        h, n = divmod(minutes, 60)
        return self("hours_minutes", h=h, n=n) if n else self("hours", h=h)
