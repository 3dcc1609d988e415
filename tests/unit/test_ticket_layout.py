"""The ticket's wording and layout (kiosk.ticket): pure code, no printer, no Qt."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from kiosk.ticket import (
    PAPER_COLUMNS,
    PAPER_DOTS,
    QR_MODULE_DOTS,
    BigNumber,
    Cut,
    QrCode,
    TextLine,
    TicketLayout,
    format_issued_at,
    format_wait,
    layout_ticket,
    qr_matrix,
    wrap_text,
)
from shared.config import PUBLIC_URL_MAX
from shared.ticket_url import new_secret, ticket_url
from tests.helpers.printing import WIB, sample_content


def text_of(layout: TicketLayout) -> list[str]:
    return layout.text_lines()


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_every_line_fits_the_paper(paper: str) -> None:
    layout = layout_ticket(sample_content(), paper)  # type: ignore[arg-type]
    assert layout.columns == PAPER_COLUMNS[paper]
    for block in layout.blocks:
        if isinstance(block, TextLine | BigNumber):
            assert len(block.text) * block.width <= layout.columns, block


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_ticket_carries_what_a_visitor_needs(paper: str) -> None:
    layout = layout_ticket(sample_content(), paper)  # type: ignore[arg-type]
    lines = text_of(layout)
    joined = " ".join(lines)
    assert lines[:2] == ["MAL PELAYANAN PUBLIK", "KABUPATEN SUKOHARJO"]
    assert "Dinas Kependudukan dan Pencatatan Sipil" in joined
    assert "Perekaman KTP Elektronik (KTP-el)" in joined
    assert "Antrean sebelum Anda: 12" in lines
    assert "Perkiraan waktu tunggu: ± 25 menit" in joined
    assert "PRIORITAS: LANSIA" in lines
    assert "Dilayani di Loket 1, 2" in lines
    assert "Berlaku hari ini" in lines
    assert lines[-1] == "TERIMA KASIH"
    big = [b for b in layout.blocks if isinstance(b, BigNumber)]
    assert [b.text for b in big] == ["KTP-023"]
    qr = [b for b in layout.blocks if isinstance(b, QrCode)]
    assert [q.payload for q in qr] == [sample_content().qr_payload]
    assert isinstance(layout.blocks[-1], Cut)


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
@pytest.mark.parametrize("public_url", [
    "http://192.168.10.2:8480",
    # The longest address the hall config accepts.
    "https://pelayanan.kabupaten-contoh.example.go.id/" + "a" * (PUBLIC_URL_MAX - 50),
])
def test_the_tickets_address_prints_at_full_module_size(paper: str, public_url: str) -> None:
    # The longest ticket id: a 4-letter queue prefix, a 3-digit number.
    url = ticket_url(public_url, "20261127-ABCD-999", new_secret())
    assert len(public_url) <= PUBLIC_URL_MAX
    layout = layout_ticket(sample_content(qr_payload=url), paper)  # type: ignore[arg-type]
    (qr,) = [b for b in layout.blocks if isinstance(b, QrCode)]
    assert qr.payload == url
    # ~0.75 mm a module on 58 mm paper, ~1 mm on 80 mm at 203 dpi: what a cheap phone camera
    # reads at arm's length; the whole symbol with its quiet zone fits the paper.
    assert qr.module_dots == QR_MODULE_DOTS[paper]
    assert qr.module_dots * 25.4 / 203 >= 0.75
    assert len(qr_matrix(url)) * qr.module_dots <= PAPER_DOTS[paper]


def test_the_scan_hint_only_beside_a_qr_that_opens_a_page() -> None:
    page = text_of(layout_ticket(sample_content(), "80mm"))
    legacy = text_of(layout_ticket(sample_content(qr_payload="ANTREAN:20261127-KTP-023"),
                                   "80mm"))
    assert "Pindai untuk memantau antrean" in page
    assert "Pindai untuk memantau antrean" not in legacy


def test_date_and_time_on_80mm_is_one_line() -> None:
    assert "Jumat, 27 November 2026 08:03 WIB" in text_of(layout_ticket(sample_content(), "80mm"))


def test_date_and_time_on_58mm_keeps_time_and_zone_together() -> None:
    lines = text_of(layout_ticket(sample_content(), "58mm"))
    # 33 characters do not fit 32 columns; "WIB" must not be left alone on a line.
    assert "Jumat, 27 November 2026" in lines
    assert "Pukul 08:03 WIB" in lines
    assert "WIB" not in lines


def test_number_is_as_large_as_the_paper_allows() -> None:
    (small,) = [b for b in layout_ticket(sample_content(), "58mm").blocks
                if isinstance(b, BigNumber)]
    (large,) = [b for b in layout_ticket(sample_content(), "80mm").blocks
                if isinstance(b, BigNumber)]
    assert (small.width, small.height) == (4, 4)  # 7 characters x 4 = 28 of 32 columns
    assert (large.width, large.height) == (6, 6)  # 42 of 48 columns
    (short,) = [b for b in layout_ticket(sample_content(label="A-001"), "80mm").blocks
                if isinstance(b, BigNumber)]
    assert short.width == 6  # capped: larger would only waste paper


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_long_agency_name_wraps_without_breaking_words(paper: str) -> None:
    name = ("Badan Pengelolaan Keuangan Pendapatan dan Aset Daerah Kabupaten Sukoharjo "
            "Unit Pelayanan Pajak Bumi dan Bangunan Perdesaan dan Perkotaan")
    layout = layout_ticket(sample_content(agency_name=name), paper)  # type: ignore[arg-type]
    agency_lines = [b for b in layout.blocks if isinstance(b, TextLine) and b.height == 2
                    and b.text and b.text.split()[0] in name.split()]
    words = [w for line in agency_lines for w in line.text.split()]
    assert " ".join(words) == name  # nothing cut, nothing split
    assert len(agency_lines) > 1
    assert all(len(b.text) <= layout.columns for b in agency_lines)


def test_wrap_breaks_a_word_only_when_it_is_longer_than_a_line() -> None:
    assert wrap_text("Perekaman KTP-el dan Kartu Identitas Anak", 16) == [
        "Perekaman KTP-el", "dan Kartu", "Identitas Anak",
    ]
    assert wrap_text("x" * 40, 16) == ["x" * 16, "x" * 16, "x" * 8]


def test_wait_value_is_never_split_across_lines() -> None:
    lines = text_of(layout_ticket(sample_content(), "58mm"))
    assert "Perkiraan waktu tunggu:" in lines
    assert "± 25 menit" in lines


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(None, "—"), (0, "segera"), (25, "± 25 menit"), (60, "± 1 jam"), (75, "± 1 jam 15 menit")],
)
def test_wait_wording(minutes: int | None, text: str) -> None:
    assert format_wait(minutes) == text


def test_unknown_wait_shows_a_dash() -> None:
    lines = text_of(layout_ticket(sample_content(estimated_wait_minutes=None), "80mm"))
    assert "Perkiraan waktu tunggu: —" in lines


@pytest.mark.parametrize(
    ("day", "name"),
    [(23, "Senin"), (24, "Selasa"), (25, "Rabu"), (26, "Kamis"), (27, "Jumat"),
     (28, "Sabtu"), (29, "Minggu")],
)
def test_indonesian_day_names(day: int, name: str) -> None:
    moment = dt.datetime(2026, 11, day, 9, 0, tzinfo=WIB)
    assert format_issued_at(moment, "Asia/Jakarta") == f"{name}, {day} November 2026 09:00 WIB"


def test_indonesian_month_names() -> None:
    months = [format_issued_at(dt.datetime(2026, m, 1, 8, 0, tzinfo=WIB), "Asia/Jakarta")
              .split()[2] for m in range(1, 13)]
    assert months == ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
                      "Agustus", "September", "Oktober", "November", "Desember"]


def test_time_is_shown_in_the_halls_zone() -> None:
    # 17:30 UTC is already the next day in Jakarta.
    utc = dt.datetime(2026, 11, 27, 17, 30, tzinfo=dt.UTC)
    assert format_issued_at(utc, "Asia/Jakarta") == "Sabtu, 28 November 2026 00:30 WIB"
    assert format_issued_at(utc, "Asia/Makassar") == "Sabtu, 28 November 2026 01:30 WITA"
    assert format_issued_at(utc, "Asia/Jayapura") == "Sabtu, 28 November 2026 02:30 WIT"
    lines = text_of(layout_ticket(sample_content(issued_at=utc, timezone="Asia/Makassar"),
                                  "80mm"))
    assert "Sabtu, 28 November 2026 01:30 WITA" in lines


def test_priority_groups_read_as_words() -> None:
    lines = text_of(layout_ticket(sample_content(priority_group="ibu_hamil"), "80mm"))
    assert "PRIORITAS: IBU HAMIL" in lines
    plain = text_of(layout_ticket(sample_content(priority_group=None), "80mm"))
    assert not any(line.startswith("PRIORITAS") for line in plain)


def test_content_refuses_what_cannot_be_printed_honestly() -> None:
    with pytest.raises(ValueError, match="aware"):
        sample_content(issued_at=dt.datetime(2026, 11, 27, 8, 3))
    with pytest.raises(ValueError, match="people_ahead"):
        sample_content(people_ahead=-1)
    with pytest.raises(ValueError, match="time zone"):
        sample_content(timezone="Asia/Atlantis")
    with pytest.raises(ValueError, match="paper"):
        layout_ticket(sample_content(), "A4")  # type: ignore[arg-type]


def test_ticket_and_printing_modules_do_not_import_qt() -> None:
    code = ("import sys, kiosk.ticket, kiosk.printing; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
