"""console.config_edit's structure edits: a [[services]]/[[counters]] item added after its
agency's block, removed with its sub-tables, a service's own [services.hours] written or
dropped. The rest of the file (comments, the per-agency blocks) stays as written, every result
is read back with tomllib, and a layout the editor cannot change safely is refused."""

from __future__ import annotations

import difflib

import pytest

from console.config_edit import DELETE, EditError, TomlText
from shared.config import example_config_path, loads_config

EXAMPLE = example_config_path().read_text(encoding="utf-8")


def changed(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def index_of(text: TomlText, table: str, key: str, value: object) -> int:
    return [item.get(key) for item in text.data[table]].index(value)


def test_a_service_added_after_its_agencys_last_service_keeps_every_comment() -> None:
    text = TomlText(EXAMPLE)
    last = max(i for i, s in enumerate(text.data["services"]) if s["agency"] == "DPMPTSP")
    new_index = text.append_item("services", {
        "code": "dpmptsp-reklame", "name": "Izin reklame", "agency": "DPMPTSP", "queue": "A",
        "standard_minutes": 20, "daily_quota": 30, "requirements": ["KTP-el", "Desain"]},
        after=last)
    new = text.text()
    assert new_index == last + 1
    # Only lines added, all of them the new item, placed before DPMPTSP's counters.
    diff = changed(EXAMPLE, new)
    assert all(line.startswith("+") for line in diff)
    assert [line for line in diff if line != "+"][:2] == [
        "+[[services]]", '+code = "dpmptsp-reklame"']
    lines = new.splitlines()
    at = lines.index('code = "dpmptsp-reklame"')
    assert lines[at - 2] == "" and "Tanda terima permohonan" in "\n".join(lines[at - 8:at])
    assert lines.index('code = "dpmptsp-reklame"') < lines.index("number = 1")
    config = loads_config(new)
    assert config.services["dpmptsp-reklame"].requirements == ("KTP-el", "Desain")
    assert list(config.services).index("dpmptsp-reklame") == new_index
    assert "# ===== 2. Dukcapil" in new


def test_an_item_with_its_own_hours_goes_after_them_and_a_counter_is_added() -> None:
    text = TomlText(EXAMPLE)
    # The example's one service with [services.hours]: the new item goes after that table.
    timed = next(i for i, s in enumerate(text.data["services"]) if "hours" in s)
    code = text.data["services"][timed]["code"]
    agency = text.data["services"][timed]["agency"]
    queue = text.data["services"][timed]["queue"]
    text.append_item("services", {"code": "baru", "name": "Baru", "agency": agency,
                                  "queue": queue, "standard_minutes": 5}, after=timed,
                     subtables={"hours": {"mon": "08:00-10:00", "tue": "08:00-10:00"}})
    counters = [c["number"] for c in text.data["counters"]]
    text.append_item("counters", {"number": 99, "name": "Loket Uji", "agency": agency,
                                  "queues": [queue]})
    config = loads_config(text.text())
    assert config.services[code].schedule == loads_config(EXAMPLE).services[code].schedule
    hours = config.services["baru"].schedule
    assert hours is not None and sorted(hours.open) == [0, 1]
    assert list(config.counters) == [*counters, 99]
    assert config.counters[99].queues == (queue,)


def test_an_item_removed_with_its_sub_tables_the_comments_around_it_stay() -> None:
    text = TomlText(EXAMPLE)
    timed = next(i for i, s in enumerate(text.data["services"]) if "hours" in s)
    code = text.data["services"][timed]["code"]
    text.remove_item("services", timed)
    new = text.text()
    assert code not in loads_config(new).services
    # Exactly the item: its header to its hours' last day (the comment on its hours within)
    # and the blank line after it.
    lines = EXAMPLE.splitlines()
    start = lines.index(f'code = "{code}"') - 1
    end = lines.index("[services.hours]", start) + 5
    assert lines[start] == "[[services]]" and lines[end].startswith("fri = ")
    assert new.splitlines() == lines[:start] + lines[end + 2:]
    assert all(not line.startswith("+") for line in changed(EXAMPLE, new))
    assert "\n\n\n\n" not in new

    # The last counter of an agency, before the next agency's banner comment.
    text = TomlText(EXAMPLE)
    text.remove_item("counters", index_of(text, "counters", "number", 2))
    text.set_keys("counters", index_of(text, "counters", "number", 1), {"queues": ["I", "A"]})
    new = text.text()
    assert "# ===== 2. Dukcapil" in new and 2 not in loads_config(new).counters
    assert 'queues = ["A", "I"]' not in new


def test_a_services_own_hours_written_replaced_and_dropped() -> None:
    text = TomlText(EXAMPLE)
    i = index_of(text, "services", "code", "dpmptsp-nib")
    text.set_subtable("services", i, "hours", {"mon": "08:00-12:00", "fri": "08:00-10:30"})
    once = text.text()
    hours = loads_config(once).services["dpmptsp-nib"].schedule
    assert hours is not None and str(hours.open[4]) == "08:00-10:30"
    assert all(line.startswith("+") for line in changed(EXAMPLE, once))

    text = TomlText(once)
    text.set_subtable("services", i, "hours", {"tue": "09:00-11:00"})
    twice = text.text()
    hours = loads_config(twice).services["dpmptsp-nib"].schedule
    assert hours is not None and sorted(hours.open) == [1]
    assert twice.count("[services.hours]") == EXAMPLE.count("[services.hours]") + 1

    text = TomlText(twice)
    text.set_subtable("services", i, "hours", DELETE)
    assert text.text() == EXAMPLE


def test_layouts_the_editor_cannot_change_safely_are_refused() -> None:
    inline = ('counters = [{ number = 1, agency = "A", queues = ["X"] }]\n'
              '[mpp]\nname = "M"\nkabupaten = "K"\n')
    text = TomlText(inline)
    with pytest.raises(EditError, match="inline"):
        text.append_item("counters", {"number": 2, "agency": "A", "queues": ["X"]})
    with pytest.raises(EditError):
        text.remove_item("counters", 0)

    dotted = ('[[services]]\ncode = "a"\nhours.mon = "08:00-12:00"\n')
    text = TomlText(dotted)
    with pytest.raises(EditError, match="inline"):
        text.set_subtable("services", 0, "hours", {"tue": "08:00-12:00"})
    text = TomlText(EXAMPLE)
    with pytest.raises(EditError):
        text.remove_item("services", 10_000)
    with pytest.raises(EditError, match="quoting"):
        text.append_item("services", {"a key": 1})


def test_a_read_back_that_differs_is_refused() -> None:
    """The check is real: a hand-made slip in the lines (a key landing in the wrong item)
    fails the read-back instead of being recorded."""
    text = TomlText(EXAMPLE)
    text.append_item("counters", {"number": 98, "agency": "DPMPTSP", "queues": ["I"]},
                     after=0)
    at = text.lines.index("number = 98")
    text.lines.insert(at + 1, 'name = "Loket lain"')  # a key nobody asked for
    with pytest.raises(EditError, match="more than the change"):
        text.text()
