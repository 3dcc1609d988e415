"""The words of the web pages, Indonesian first (the default) and English (`?lang=en`).

Sentences the kiosk and the ledger also show come from shared.indonesian, so a service that is
full says so in the same words on the kiosk, in the ledger's refusal and here."""

from __future__ import annotations

from shared import indonesian as ID

WORDS: dict[str, tuple[str, str]] = {
    "title_ticket": ("Nomor antrean Anda", "Your queue number"),
    "title_board": ("Papan antrean", "Queue board"),
    "title_overview": ("Antrean hari ini", "Today's queues"),
    "your_number": ("Nomor antrean Anda", "Your queue number"),
    "status": ("Status", "Status"),
    "ahead": ("Antrean sebelum Anda", "People ahead of you"),
    "wait": ("Perkiraan waktu tunggu", "Estimated wait"),
    "now_serving": ("Nomor yang sedang dipanggil", "Number now called"),
    "none_yet": ("belum ada", "none yet"),
    "go_to": ("Silakan menuju {counter}", "Please go to {counter}"),
    "called_now": ("Nomor Anda dipanggil", "Your number is called"),
    "remind_me": ("Ingatkan saya", "Remind me"),
    "remind_set": ("Anda akan diingatkan saat 3 antrean lagi", "You will be reminded at 3 ahead"),
    "sound_on": ("Nyalakan suara panggilan", "Turn on the call sound"),
    "sound_is_on": ("Suara panggilan menyala", "Call sound is on"),
    "board_sound_on": ("Ketuk di sini untuk menyalakan suara panggilan",
                       "Tap here to turn on the call announcements"),
    "board_sound_is_on": ("Suara panggilan menyala", "Call announcements are on"),
    "three_left": ("3 antrean lagi", "3 more before you"),
    "close": ("Tutup", "Close"),
    "page_live": ("Halaman ini diperbarui sendiri.", "This page updates by itself."),
    "stale": ("Data belum diperbarui sejak {time}", "Data not updated since {time}"),
    "current_call": ("Panggilan sekarang", "Now calling"),
    "last_calls": ("Panggilan sebelumnya", "Earlier calls"),
    "waiting_per_agency": ("Menunggu per instansi", "Waiting per agency"),
    "waiting": ("Menunggu", "Waiting"),
    "no_call": ("Belum ada panggilan", "No call yet"),
    "counter_paused": ("Istirahat", "On a break"),
    "counter_closed": ("Tutup", "Closed"),
    "counter_ready": ("Siap melayani", "Ready"),
    "hours_today": ("Jam layanan hari ini", "Opening hours today"),
    "closed_today_hall": ("Hari ini tutup", "Closed today"),
    "agency": ("Instansi", "Agency"),
    "serving": ("Sedang dipanggil", "Now called"),
    "not_taking": ("Layanan yang tidak menerima nomor saat ini",
                   "Services not taking numbers now"),
    "all_open": ("Semua layanan menerima nomor antrean.", "Every service is taking numbers."),
    "not_found_title": ("Halaman tidak ditemukan", "Page not found"),
    "not_found": ("Alamat ini tidak dikenal. Periksa kembali alamat pada tiket Anda, atau "
                  "tanyakan kepada petugas.",
                  "This address is not known. Check the address on your ticket, or ask the "
                  "staff."),
    "too_many_title": ("Terlalu banyak permintaan", "Too many requests"),
    "too_many": ("Silakan tunggu sebentar, lalu muat ulang halaman ini.",
                 "Please wait a moment, then reload this page."),
    "other_lang": ID.OTHER_LANGUAGE,
    **ID.WAIT_WORDS,
    # The ticket's status (the words).
    "st_waiting": ("Menunggu", "Waiting"),
    "st_called": ("Dipanggil ke {counter}", "Called to {counter}"),
    "st_serving": ("Sedang dilayani di {counter}", "Being served at {counter}"),
    "st_finished": ("Selesai", "Finished"),
    "st_no_show": ("Tidak hadir", "Missed (not present when called)"),
    "st_transferred": ("Dialihkan ke {service}", "Transferred to {service}"),
    "st_expired": ("Kedaluwarsa", "Expired"),
    "st_cancelled": ("Dibatalkan", "Cancelled"),
    # Why a service takes no number now, and when to come back: the kiosk's words in both
    # languages (shared/indonesian.py).
    **ID.VISITOR_WORDS,
}


class Words(ID.Bilingual):
    """`t("key", **fields)` in one language."""

    WORDS = WORDS
