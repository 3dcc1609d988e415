"""Every word the kiosk shows, in Bahasa Indonesia (the default) and English.

Plain words for first-time and elderly visitors (KBBI forms: "nomor antrean", "loket",
"silakan"). One table, so a missing translation is a test failure, not a blank button.
No Qt here: the core builds its messages with it too.
"""

from __future__ import annotations

import datetime as dt

from shared import indonesian as ID
from shared.indonesian import jam, zone_name

LANGUAGES = ID.Bilingual.LANGS

# key -> (Bahasa Indonesia, English)
TEXTS: dict[str, tuple[str, str]] = {
    "language_switch": ID.OTHER_LANGUAGE,
    "welcome": ("Selamat datang di", "Welcome to"),
    "take_number": ("Ambil nomor antrean", "Take a queue number"),
    "touch_to_start": ("Sentuh tombol biru untuk mulai", "Touch the blue button to start"),
    "back": ("‹  Kembali", "‹  Back"),
    "next": ("Berikutnya  ›", "Next  ›"),
    "previous": ("‹  Sebelumnya", "‹  Previous"),
    "page_of": ("Halaman {page} dari {pages}", "Page {page} of {pages}"),
    "choose_agency": ("Pilih instansi", "Choose an agency"),
    "agency_hint": ("Sentuh instansi yang ingin Anda tuju.",
                    "Touch the agency you want to visit."),
    "agency_closed": ("Tutup saat ini", "Closed now"),
    "agency_services": ("{n} layanan", "{n} services"),
    "choose_service": ("Pilih layanan", "Choose a service"),
    "service_hint": ("Sentuh layanan yang Anda perlukan.", "Touch the service you need."),
    "standard_time": ("Lama layanan ± {minutes} menit", "Takes about {minutes} min"),
    "requirements_title": ("Syarat yang perlu dibawa:", "Please bring:"),
    "people_waiting": ("{n} orang menunggu", "{n} people waiting"),
    "quota_left": ("sisa kuota {n}", "{n} numbers left"),
    "tap_for_reason": ("Sentuh untuk keterangan", "Touch for details"),
    "badge_holiday": ("LIBUR", "HOLIDAY"),
    "badge_closed_today": ("TIDAK BUKA HARI INI", "NOT OPEN TODAY"),
    "badge_not_yet_open": ("BELUM DIBUKA", "NOT OPEN YET"),
    "badge_cutoff": ("SUDAH DITUTUP", "CLOSED FOR TODAY"),
    "badge_quota_full": ("KUOTA HABIS", "FULLY BOOKED"),
    "priority_question": ("Apakah Anda termasuk prioritas?", "Do you need priority service?"),
    "priority_hint": ("Petugas akan memeriksa. Jika ragu, pilih Tidak.",
                      "Staff will check this. If unsure, choose No."),
    "priority_no": ("Tidak", "No"),
    "prio_lansia": ("Lansia (60 tahun ke atas)", "Elderly (60 or older)"),
    "prio_disabilitas": ("Penyandang disabilitas", "Person with a disability"),
    "prio_ibu_hamil": ("Ibu hamil", "Pregnant woman"),
    "prio_anak": ("Anak-anak", "Child"),
    "prio_korban_bencana": ("Korban bencana", "Disaster victim"),
    "priority_label": ("Prioritas: {group}", "Priority: {group}"),
    "issuing": ("Nomor antrean sedang dibuat…", "Making your queue number…"),
    "please_wait": ("Mohon tunggu sebentar", "Please wait a moment"),
    "slow_body": ("Sistem antrean belum menjawab. Tekan «Coba lagi». "
                  "Anda tidak akan mendapat nomor ganda.",
                  "The queue system has not answered yet. Press «Try again». "
                  "You will not get a second number."),
    "retry": ("Coba lagi", "Try again"),
    "cancel": ("Batal", "Cancel"),
    "your_number": ("Nomor antrean Anda", "Your queue number"),
    "people_ahead": ("Antrean sebelum Anda: {n}", "People ahead of you: {n}"),
    "estimated_wait": ("Perkiraan waktu tunggu: {wait}", "Estimated wait: {wait}"),
    "pause_opening": ("Loket mulai melayani pukul {time}.", "Counters open at {time}."),
    "pause_break": ("Loket sedang istirahat sampai pukul {time}.",
                    "Counters are on a break until {time}."),
    "served_at": ("Dilayani di {counters}", "Served at {counters}"),
    "issued_at": ("Diambil {when}", "Taken {when}"),
    "valid_today": ("Berlaku hari ini", "Valid today only"),
    "scan_qr": ("Pindai untuk memantau antrean", "Scan to follow the queue"),
    "printing": ("Tiket sedang dicetak…", "Printing your ticket…"),
    "printed": ("Silakan ambil tiket Anda.", "Please take your ticket."),
    "print_failed": ("Tiket tidak dapat dicetak. Silakan foto layar ini atau catat nomor Anda.",
                     "The ticket could not be printed. Please take a photo of this screen "
                     "or write your number down."),
    "staff_told": ("Petugas sudah diberi tahu.", "Staff have been told."),
    "done": ("Selesai", "Done"),
    "offline_title": ("Mesin antrean sedang tidak terhubung",
                      "This kiosk is not connected"),
    "offline_body": ("Nomor antrean tidak dapat diambil di mesin ini saat ini. "
                     "Silakan hubungi petugas di meja informasi.",
                     "Queue numbers cannot be taken at this kiosk right now. "
                     "Please ask the staff at the information desk."),
    "closed_title": ("Nomor antrean belum dapat diambil", "A number cannot be taken now"),
    "refused_title": ("Nomor antrean tidak dapat dibuat", "No number could be made"),
    "hall_closed": ("Saat ini tidak ada layanan yang menerima nomor antrean.",
                    "No service is issuing queue numbers right now."),
    # The ledger refuses a ticket with the same Indonesian words, and the web pages say them
    # in both languages too (shared/indonesian.py).
    **ID.VISITOR_WORDS,
    "countdown": ("Kembali ke awal dalam {n} detik — sentuh layar untuk melanjutkan",
                  "Back to the start in {n} seconds — touch the screen to continue"),
    "countdown_one": ("Kembali ke awal dalam 1 detik — sentuh layar untuk melanjutkan",
                      "Back to the start in 1 second — touch the screen to continue"),
    "visitor_paper_out": ("Kertas tiket sedang habis.", "The ticket paper has run out."),
    "visitor_printer_down": ("Printer tiket sedang tidak dapat mencetak.",
                             "The ticket printer cannot print right now."),
    "visitor_number_on_screen": ("Anda tetap mendapat nomor antrean: nomor ditampilkan di "
                                 "layar, siapkan ponsel untuk memotretnya atau catat nomornya.",
                                 "You still get a queue number: it is shown on the screen, so "
                                 "have your phone ready to take a photo of it, or write it "
                                 "down."),
    "staff_paper_low": ("Petugas: kertas printer hampir habis — siapkan gulungan baru",
                        "Staff: printer paper is low — have a new roll ready"),
    "staff_paper_out": ("Petugas: kertas printer habis — pasang gulungan baru",
                        "Staff: printer is out of paper — load a new roll"),
    "staff_printer_offline": ("Petugas: printer tidak siap — periksa tutup dan kertasnya",
                              "Staff: printer is not ready — check its cover and paper"),
    "staff_printer_unreachable": ("Petugas: printer tidak dapat dihubungi — periksa daya dan "
                                  "kabelnya",
                                  "Staff: cannot reach the printer — check its power and cable"),
    "pin_title": ("Masukkan PIN admin", "Enter the admin PIN"),
    "pin_wrong": ("PIN salah.", "Wrong PIN."),
    "pin_not_set": ("PIN admin belum diatur. Menu admin tidak dapat dibuka.",
                    "No admin PIN is set. The admin menu cannot be opened."),
    "pin_locked": ("Terlalu banyak percobaan. Coba lagi dalam {seconds} detik.",
                   "Too many tries. Try again in {seconds} seconds."),
    "pin_clear": ("Hapus", "Clear"),
    "pin_ok": ("OK", "OK"),
    "admin_title": ("Menu admin", "Admin menu"),
    "admin_test_print": ("Cetak tiket tes", "Print a test ticket"),
    "admin_printer_status": ("Status printer: {status}", "Printer status: {status}"),
    "admin_exit": ("Keluar dari mode kiosk", "Leave kiosk mode"),
    "admin_close": ("Tutup menu", "Close menu"),
    "admin_test_sent": ("Tiket tes dikirim ke printer.", "Test ticket sent to the printer."),
    "admin_test_printed": ("Tiket tes tercetak.", "Test ticket printed."),
    "admin_test_failed": ("Tiket tes gagal dicetak: {why}", "Test ticket failed: {why}"),
    "status_ok": ("siap", "ready"),
    "status_unknown": ("belum diketahui", "unknown"),
    "status_paper_low": ("kertas hampir habis", "paper low"),
    "status_paper_out": ("kertas habis", "out of paper"),
    "status_offline": ("tidak siap (tutup terbuka, kertas macet)",
                       "not ready (cover open, paper jam)"),
    "status_unreachable": ("tidak dapat dihubungi", "cannot be reached"),
    # The waits (ID.Bilingual.wait), in the kiosk's own words.
    "soon": ("segera", "soon"),
    "minutes": ("± {n} menit", "about {n} min"),
    "hours_minutes": ("± {h} jam {n} menit", "about {h} h {n} min"),
    "hours": ("± {h} jam", "about {h} h"),
    "unknown": ("belum dapat diperkirakan", "cannot be estimated yet"),
}


class Words(ID.Bilingual):
    """The kiosk's words in one language."""

    WORDS = TEXTS


# The kiosk redraws often and has two languages: one Words each, made once.
_WORDS = {lang: Words(lang) for lang in LANGUAGES}


def words(lang: str) -> Words:
    """The kiosk's words in `lang` ("id" or "en"; anything else is Indonesian)."""
    return _WORDS.get(lang, _WORDS["id"])


def text(lang: str, key: str, **values: object) -> str:
    """The text for `key` in `lang` ("id" or "en"), with `{name}` fields filled in."""
    return words(lang)(key, **values)


def date_text(lang: str, day: dt.date) -> str:
    """'Senin, 30 November 2026' or 'Monday, 30 November 2026'."""
    return words(lang).date(day)


def time_text(moment: dt.datetime, timezone: str) -> str:
    """'08:03 WIB' (same in both languages: WIB is what the hall's clocks say)."""
    return jam(moment, timezone)


def when_text(lang: str, day: dt.date | None) -> str:
    """'pada Selasa, 1 Desember 2026' — when to come back."""
    return words(lang).when(day)


def wait_text(lang: str, minutes: int | None) -> str:
    return words(lang).wait(minutes)


def priority_text(lang: str, group: str) -> str:
    key = f"prio_{group}"
    return text(lang, key) if key in TEXTS else group.replace("_", " ")


__all__ = ["LANGUAGES", "TEXTS", "Words", "date_text", "priority_text", "text", "time_text",
           "wait_text", "when_text", "words", "zone_name"]
