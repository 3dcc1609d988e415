"""console.config_edit: a key of one service, of [mpp], or the holidays changed in the hall's
TOML text, with the rest of the file (comments, layout, the example hall's per-agency blocks)
as written; an edit that would say more than asked is refused."""

from __future__ import annotations

import datetime as dt
import difflib

import pytest

from console.config_edit import DELETE, EditError, TomlText
from console.config_editor import parse_holidays
from console.i18n import Words
from shared.config import example_config_path, loads_config

EXAMPLE = example_config_path().read_text(encoding="utf-8")


def changed_lines(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_one_service_key_changes_one_line_and_keeps_its_comment() -> None:
    text = TomlText(EXAMPLE)
    index = [s["code"] for s in text.data["services"]].index("kemenag-haji")
    text.set_keys("services", index, {"daily_quota": 25, "cutoff_minutes": 45})
    new = text.text()
    assert sorted(changed_lines(EXAMPLE, new)) == sorted([
        "-daily_quota = 20", "-cutoff_minutes = 60  # the registration includes biometrics "
        "and a photograph", "+daily_quota = 25", "+cutoff_minutes = 45  # the registration "
        "includes biometrics and a photograph"])
    config = loads_config(new)
    assert config.services["kemenag-haji"].daily_quota == 25
    assert config.services["kemenag-haji"].cutoff_minutes == 45


def test_keys_added_and_removed_in_their_own_table() -> None:
    text = TomlText(EXAMPLE)
    codes = [s["code"] for s in text.data["services"]]
    text.set_keys("services", codes.index("dukcapil-kia"), {
        "daily_quota": DELETE, "requirements": ["Kartu Keluarga", 'Akta "asli"']})
    text.set_keys("services", codes.index("pn-ecourt"), {"daily_quota": 12})
    config = loads_config(text.text())
    assert config.services["dukcapil-kia"].daily_quota is None
    assert config.services["dukcapil-kia"].requirements == ("Kartu Keluarga", 'Akta "asli"')
    assert config.services["pn-ecourt"].daily_quota == 12
    assert config.services["pn-posbakum"].daily_quota is None


def test_holidays_kept_in_place_removed_renamed_and_added() -> None:
    text = TomlText(EXAMPLE)
    old = [(h["date"], h["name"]) for h in text.data["holidays"]]
    wanted = [*old[1:], (dt.date(2028, 1, 1), "Tahun Baru 2028"),
              (dt.date(2025, 12, 31), "Contoh")]
    wanted[0] = (wanted[0][0], "Nama baru")
    text.replace_holidays(wanted)
    new = text.text()
    assert loads_config(new).holidays == dict(sorted(wanted))
    assert "# --- 2026 ---" in new and new.count("\n") > EXAMPLE.count("\n")
    # Every change is a holiday line; no other table moved.
    assert all("holidays" in line or "date =" in line or "name =" in line or line in "+-"
               for line in changed_lines(EXAMPLE, new))


def test_running_text_and_an_edit_that_cannot_be_made_safely() -> None:
    text = TomlText(EXAMPLE)
    text.set_keys("mpp", None, {"running_text": "Selamat datang \\ \"warga\"\x7f"})
    assert loads_config(text.text()).mpp.running_text == "Selamat datang \\ \"warga\"\x7f"
    inline = TomlText('services = [{code = "a", daily_quota = 1}]\n')
    with pytest.raises(EditError):
        inline.set_keys("services", 0, {"daily_quota": 2})


def test_holidays_pasted_as_the_skb_lists_them() -> None:
    t = Words("id")
    got = parse_holidays("Jumat, 1 Januari 2027 Tahun Baru 2027 Masehi\n"
                         "2027-03-20\tIdulfitri\n20/03/2027 Idulfitri\n\n"
                         "17-08-2027 - Hari Kemerdekaan", t)
    assert got == [(dt.date(2027, 1, 1), "Tahun Baru 2027 Masehi"),
                   (dt.date(2027, 3, 20), "Idulfitri"),
                   (dt.date(2027, 8, 17), "Hari Kemerdekaan")]
    with pytest.raises(Exception, match="Baris 2"):
        parse_holidays("2027-01-01 A\n2027-01-01 B", t)
    with pytest.raises(Exception, match="Baris 1"):
        parse_holidays("31 Februari 2027 Salah", t)


def test_an_edit_touches_only_the_fields_changed_on_the_form() -> None:
    """The form shows the config in force now; a change from a date edits the version in
    force then, and keeps what that version says of the fields left alone."""
    from console.config_editor import _apply, service_form
    from tests.helpers.hub_process import DATA

    small = (DATA / "small_hall.toml").read_text(encoding="utf-8")
    now = loads_config(small)
    later = TomlText(small.replace("daily_quota = 5\n", "daily_quota = 9\n"))
    shown = service_form(now.services["ktp-baru"])
    values = {**shown, "standar": "12", "syarat": "Fotokopi KK\r\n"}  # as a browser sends
    _apply(later, "", "ktp-baru", values, Words("id"), shown)
    edited = loads_config(later.text()).services["ktp-baru"]
    assert (edited.daily_quota, edited.standard_minutes, edited.requirements) == (
        9, 12, ("Fotokopi KK",))
