"""The console's words, Indonesian first (the default) and English (`?lang=en`)."""

from __future__ import annotations

import datetime as dt

from shared import indonesian as ID

LANGS = ("id", "en")

WORDS: dict[str, tuple[str, str]] = {
    "console": ("Konsol MPP", "MPP console"),
    "title_sign_in": ("Masuk", "Sign in"),
    "title_hall": ("Aula langsung", "Live hall"),
    "title_reports": ("Laporan", "Reports"),
    "username": ("Nama pengguna", "User name"),
    "password": ("Kata sandi", "Password"),
    "sign_in": ("Masuk", "Sign in"),
    "sign_out": ("Keluar", "Sign out"),
    "bad_sign_in": ("Nama pengguna atau kata sandi salah.", "Wrong user name or password."),
    "locked": ("Terlalu banyak percobaan gagal. Coba lagi dalam {n} menit.",
               "Too many failed attempts. Try again in {n} minutes."),
    "csrf": ("Formulir ini kedaluwarsa. Muat ulang halaman, lalu coba lagi.",
             "This form has expired. Reload the page and try again."),
    "signed_out_idle": ("Anda keluar otomatis karena tidak aktif.",
                        "You were signed out after a while without activity."),
    "counters": ("Loket", "Counters"),
    "services": ("Layanan", "Services"),
    "alerts": ("Peringatan", "Alerts"),
    "no_alerts": ("Tidak ada peringatan.", "No open alerts."),
    "counter": ("Loket", "Counter"),
    "state": ("Status", "State"),
    "officer": ("Petugas", "Officer"),
    "ticket": ("Nomor", "Ticket"),
    "for_how_long": ("Lama", "For"),
    "calls_hour": ("Panggilan jam ini", "Calls this hour"),
    "agency": ("Instansi", "Agency"),
    "service": ("Layanan", "Service"),
    "waiting": ("Menunggu", "Waiting"),
    "longest": ("Terlama", "Longest"),
    "estimate": ("Perkiraan tunggu", "Est. wait"),
    "quota": ("Kuota", "Quota"),
    "left": ("sisa {n}", "{n} left"),
    "no_quota": ("tanpa kuota", "no quota"),
    "station": ("Perangkat", "Station"),
    "since": ("Sejak", "Since"),
    "message": ("Pesan", "Message"),
    "counter_open": ("Buka", "Open"),
    "counter_paused": ("Istirahat", "Paused"),
    "counter_closed": ("Tutup", "Closed"),
    "min": ("{n} mnt", "{n} min"),
    "standard": ("standar {n} mnt", "standard {n} min"),
    "over_standard": ("melewati standar", "past the standard"),
    "reports_soon": ("Laporan bulanan dan ekspor (CSV, XLSX, PDF) ada di halaman ini.",
                     "The monthly reports and exports (CSV, XLSX, PDF) are on this page."),
    "stale": ("Data belum diperbarui sejak {time}", "Data not updated since {time}"),
    "other_lang": ("English", "Bahasa Indonesia"),
    "minutes": ("± {n} menit", "± {n} min"),
    "hours": ("± {h} jam", "± {h} h"),
    "hours_minutes": ("± {h} jam {n} menit", "± {h} h {n} min"),
    "soon": ("segera", "soon"),
    "unknown": ("—", "—"),
    "not_found_title": ("Halaman tidak ditemukan", "Page not found"),
    "not_found": ("Alamat ini tidak dikenal.", "This address is not known."),
    "forbidden_title": ("Permintaan ditolak", "Request refused"),
}

ENGLISH_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Words:
    """`t("key", **fields)` in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "id"
        self._i = LANGS.index(self.lang)

    def __call__(self, key: str, **fields: object) -> str:
        text = WORDS[key][self._i]
        return text.format(**fields) if fields else text

    def date(self, day: dt.date) -> str:
        if self.lang == "id":
            return ID.tanggal(day)
        return f"{ENGLISH_DAYS[day.weekday()]}, {day:%d %B %Y}".replace(" 0", " ")

    def wait(self, minutes: int | None) -> str:
        if minutes is None:
            return self("unknown")
        if minutes <= 0:
            return self("soon")
        if minutes < 60:
            return self("minutes", n=minutes)
        h, n = divmod(minutes, 60)
        return self("hours_minutes", h=h, n=n) if n else self("hours", h=h)
