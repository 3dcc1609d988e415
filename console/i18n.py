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
    "report_show": ("Tampilkan", "Show"),
    "report_period": ("Periode", "Period"),
    "report_kind_hari": ("Hari", "Day"),
    "report_kind_minggu": ("Minggu", "Week"),
    "report_kind_bulan": ("Bulan", "Month"),
    "report_kind_triwulan": ("Triwulan", "Quarter"),
    "report_kind_rentang": ("Rentang tanggal", "Date range"),
    "report_date": ("Tanggal", "Date"),
    "report_month": ("Bulan", "Month"),
    "report_year": ("Tahun", "Year"),
    "report_quarter": ("Triwulan", "Quarter"),
    "report_from": ("Dari", "From"),
    "report_to": ("Sampai", "To"),
    "report_group": ("Kelompok", "Group by"),
    "report_group_instansi": ("Instansi", "Agency"),
    "report_group_layanan": ("Layanan", "Service"),
    "report_group_loket": ("Loket", "Counter"),
    "report_group_petugas": ("Petugas", "Officer"),
    "report_priority": ("Prioritas", "Priority"),
    "report_prio_semua": ("Semua nomor", "Every ticket"),
    "report_prio_prioritas": ("Semua prioritas", "Every priority"),
    "report_prio_reguler": ("Reguler saja", "Regular only"),
    "report_prio_lansia": ("Lansia", "Elderly"),
    "report_prio_disabilitas": ("Penyandang disabilitas", "Disability"),
    "report_prio_ibu_hamil": ("Ibu hamil", "Pregnant"),
    "report_prio_anak": ("Anak", "Child"),
    "report_prio_korban_bencana": ("Korban bencana", "Disaster victim"),
    "report_download": ("Unduh", "Download"),
    "report_only_agency": ("Hanya instansi Anda: {agency}.", "Your agency only: {agency}."),
    "report_none": ("Tidak ada nomor antrean pada periode ini.",
                    "No tickets in this period."),
    "report_refused": ("Laporan tidak dapat dibuat", "The report cannot be made"),
    "report_bad_kind": ("Jenis periode tidak dikenal.", "Unknown kind of period."),
    "report_bad_group": ("Pengelompokan tidak dikenal.", "Unknown grouping."),
    "report_bad_priority": ("Pilihan prioritas tidak dikenal.", "Unknown priority filter."),
    "report_bad_date": ("Tanggal tidak valid. Gunakan bentuk TTTT-BB-HH, mis. 2026-11-30.",
                        "Not a date. Use YYYY-MM-DD, e.g. 2026-11-30."),
    "report_bad_month": ("Bulan tidak valid. Gunakan bentuk TTTT-BB, mis. 2026-11.",
                         "Not a month. Use YYYY-MM, e.g. 2026-11."),
    "report_bad_quarter": ("Triwulan tidak valid: tahun empat angka dan triwulan 1 sampai 4.",
                           "Not a quarter: a four-digit year and a quarter from 1 to 4."),
    "report_bad_range": ("Isi tanggal awal dan tanggal akhir rentang.",
                         "Give the range's first and last day."),
    "report_bad_period": ("Periode tidak valid: tanggal akhir sebelum tanggal awal, atau "
                          "bulan/triwulan di luar batas.",
                          "Not a period: it ends before it starts, or the month or quarter "
                          "does not exist."),
    "report_too_long": ("Periode terlalu panjang: paling lama satu tahun (366 hari).",
                        "The period is too long: one year (366 days) at most."),
    "report_bad_format": ("Format unduhan tidak dikenal (CSV, XLSX atau PDF).",
                          "Unknown download format (CSV, XLSX or PDF)."),
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
