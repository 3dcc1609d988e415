"""console.config_edit.HallEdits: the hall's hours, an agency's own hours, the breaks and the
voice changed in the hall's TOML text with comments and layout kept, each edit read back;
values the loader refuses are refused by it after the edit, and the console's own checks
(unknown placeholders) refuse before."""

from __future__ import annotations

import difflib

import pytest

from console.config_edit import DELETE, EditError, HallEdits
from console.config_editor import FieldError
from console.config_hall import read_breaks, read_voice
from console.i18n import Words
from shared.config import ConfigError, example_config_path, loads_config
from shared.speech import unknown_placeholders

EXAMPLE = example_config_path().read_text(encoding="utf-8")
T = Words("id")


def changed(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_friday_hours_and_a_closed_day_change_only_their_lines() -> None:
    text = HallEdits(EXAMPLE)
    text.set_table("schedule.hours", {"fri": "07:30-11:00", "thu": DELETE})
    new = text.text()
    assert sorted(changed(EXAMPLE, new)) == sorted([
        '-thu = "08:00-15:00"', '-fri = "08:00-11:00"', '+fri = "07:30-11:00"'])
    config = loads_config(new)
    assert 3 not in config.schedule.open and str(config.schedule.open[4]) == "07:30-11:00"
    assert "# Hall hours. Monday to Thursday" in new  # the comments above stay


def test_a_friday_prayer_break_is_added_after_the_last_and_one_removed() -> None:
    text = HallEdits(EXAMPLE)
    old = [dict(b) for b in text.data["schedule"]["breaks"]]
    text.edit_breaks([None, *old[1:], {"day": "fri", "time": "11:30-13:00",
                                       "label": "Istirahat salat Jumat"}])
    new = text.text()
    assert sorted(changed(EXAMPLE, new)) == sorted([
        "-[[schedule.breaks]]", '-day = "mon"', '-time = "12:00-13:00"',
        '-label = "Istirahat (ISHOMA)"', "-", "+", "+[[schedule.breaks]]", '+day = "fri"',
        '+time = "11:30-13:00"', '+label = "Istirahat salat Jumat"'])
    breaks = loads_config(new).schedule.breaks
    assert 0 not in breaks and breaks[4][0].label == "Istirahat salat Jumat"
    assert new.count("\n\n\n") == EXAMPLE.count("\n\n\n")  # no blank lines left behind


def test_a_break_changed_in_place_keeps_its_place() -> None:
    text = HallEdits(EXAMPLE)
    old = [dict(b) for b in text.data["schedule"]["breaks"]]
    text.edit_breaks([{**old[0], "time": "12:00-12:45"}, *old[1:]])
    assert changed(EXAMPLE, text.text()) == ['-time = "12:00-13:00"', '+time = "12:00-12:45"']


def test_an_agency_gets_own_hours_then_the_halls_again_and_opts_out_of_breaks() -> None:
    text = HallEdits(EXAMPLE)
    codes = [a["code"] for a in text.data["agencies"]]
    bpom = codes.index("BPOM")
    text.set_agency_hours(bpom, {"wed": "08:00-12:00", "thu": "08:00-11:00"})
    text.set_agency_hours(0, {"mon": "08:00-10:00"})
    text.set_keys("agencies", 1, {"breaks": []})
    new = text.text()
    assert sorted(changed(EXAMPLE, new)) == sorted([
        '+thu = "08:00-11:00"', "+[agencies.hours]", '+mon = "08:00-10:00"', "+breaks = []"])
    config = loads_config(new)
    assert set(config.agencies["BPOM"].schedule.open) == {2, 3}  # type: ignore[union-attr]
    assert config.agencies[codes[1]].schedule.breaks == {}  # type: ignore[union-attr]
    back = HallEdits(new)
    back.set_agency_hours(0, None)
    assert loads_config(back.text()).agencies[codes[0]].schedule is None


def test_voice_keys_keep_their_comments_and_a_float_volume_reads_back() -> None:
    text = HallEdits(EXAMPLE)
    text.set_table("voice", {"template": "Nomor {number}, ke {counter}.", "volume": 0.8})
    new = text.text()
    assert '+volume = 0.8  # 0.0-1.0' in changed(EXAMPLE, new)
    assert loads_config(new).voice.volume == 0.8


def test_a_voice_table_is_written_where_the_file_has_none() -> None:
    small = "\n".join(line for line in EXAMPLE.splitlines())
    start, end = small.index("\n[voice]\n"), small.index("# National holidays")
    without = small[:start] + small[end:]
    text = HallEdits(without)
    text.set_table("voice", {"rate": 170})
    new = text.text()
    assert new.index("[voice]\nrate = 170") < new.index("\n[[holidays]]\n")
    assert loads_config(new).voice.rate == 170


def test_bad_values_are_refused_by_the_loader_and_the_form() -> None:
    text = HallEdits(EXAMPLE)
    text.set_table("schedule.hours", {"fri": "11:00-08:00"})
    with pytest.raises(ConfigError, match="ends before it starts"):
        loads_config(text.text())
    closed = HallEdits(EXAMPLE)
    closed.set_table("schedule.hours", {d: DELETE for d in ("mon", "tue", "wed", "thu", "fri")})
    with pytest.raises(ConfigError, match="open on at least one day"):
        loads_config(closed.text())
    with pytest.raises(FieldError) as e:
        read_voice({"bahasa": "id", "gaya": "digits", "templat": "Nomor {nomor} ke {counter}",
                    "templat-en": "{number} {counter}", "kecepatan": "150", "volume": "1",
                    "ulang": "1"}, T)
    assert e.value.name == "templat" and "{nomor}" in e.value.text
    assert unknown_placeholders("A {number} {counter} {loket}") == ["{loket}"]
    with pytest.raises(FieldError) as e:
        read_breaks({"hari-baru-0": "", "waktu-baru-0": "11:30-13:00"}, 0, T)
    assert e.value.name == "hari-baru-0"


def test_an_edit_the_file_does_not_say_as_asked_is_refused() -> None:
    inline = EXAMPLE.replace('[schedule.hours]\nmon = "08:00-15:00"\ntue = "08:00-15:00"\n'
                             'wed = "08:00-15:00"\nthu = "08:00-15:00"\nfri = "08:00-11:00"\n',
                             '[schedule]\nhours = { mon = "08:00-15:00", fri = "08:00-11:00" }\n')
    assert inline != EXAMPLE
    with pytest.raises(EditError):
        HallEdits(inline).set_table("schedule.hours", {"fri": "07:00-11:00"})
    text = HallEdits(EXAMPLE)
    with pytest.raises(EditError):
        text.edit_breaks([])  # a break left out is not a break removed
