"""The counter app under an officer's hands: every key the buttons name and the officers' guide
lists, both Enter keys, a held key, a double click, impatient keys while the hub has not
answered yet.

Keys are real key events sent to the real window (QTest), so they go through Qt's shortcut
handling as a keyboard's would; nothing here calls a slot. The keys to press are read from the
buttons' labels and from `docs/panduan-petugas.md`, so a new label or guide line cannot go
untested: a key name this test does not know how to press fails it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from counter_client import core as c
from counter_client.app import LABELS, MAIN_PAGE, NO_SHOW_PAGE, TRANSFER_PAGE, CounterWindow
from counter_client.switchable import SwitchableLink
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger import model as m
from tests.helpers.counter_hall import PIN, TIMEOUT, Hall, activate, called_events, idle, open_hall

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "panduan-petugas.md"
BACK = "back"  # the guide's "Kembali" (Esc), which is no button
NO_MOD = Qt.KeyboardModifier.NoModifier
PAD = Qt.KeyboardModifier.KeypadModifier

# A key press: the key, its modifiers, the text a keyboard sends with it.
Press = tuple[Qt.Key, Qt.KeyboardModifier, str]
_SYMBOLS = {"+": Qt.Key.Key_Plus, ".": Qt.Key.Key_Period, "−": Qt.Key.Key_Minus,
            "-": Qt.Key.Key_Minus}


def presses(name: str) -> list[Press]:
    """Every physical key a guide or button name stands for: "Enter" is the main keyboard's
    Return and the number pad's Enter; '+', '.', '−' exist on both."""
    if re.fullmatch(r"F([1-9]|1[0-2])", name):
        return [(getattr(Qt.Key, f"Key_{name}"), NO_MOD, "")]
    if name == "Enter":
        return [(Qt.Key.Key_Return, NO_MOD, "\r"), (Qt.Key.Key_Enter, PAD, "\r")]
    if name == "Esc":
        return [(Qt.Key.Key_Escape, NO_MOD, "\x1b")]
    if name in _SYMBOLS:
        key, text = _SYMBOLS[name], "-" if name == "−" else name
        return [(key, NO_MOD, text), (key, PAD, text)]
    raise AssertionError(f"this test does not know how to press {name!r}: teach it")


def guide_keys() -> dict[str, list[str]]:
    """Action -> key names, from the guide's table of buttons and keys."""
    by_label = {label: action for action, label in LABELS.items()}
    by_label["Kembali"] = BACK
    keys: dict[str, list[str]] = {}
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not line.startswith("|") or set(cells[1]) <= {"-", " "}:
            continue
        label = cells[0].replace("*", "").strip()
        if label == "Tombol di layar":  # the header row
            continue
        assert label in by_label, f"the guide names a button the app does not have: {label!r}"
        names = []
        for part in cells[1].split(","):
            named = re.search(r"\((.)\)", part)  # "titik (.)", "minus (−)"
            names.append(named.group(1) if named else part.strip())
        keys[by_label[label]] = names
    assert keys, "no key table found in the guide"
    return keys


def labelled_keys(window: CounterWindow) -> dict[str, list[str]]:
    """Action -> key names, as its button shows them ("Panggil ulang\\nF2 / . / −", or
    "Panggil ulang · F2" in the side panel)."""
    keys = {}
    for action, button in window.buttons.items():
        text = button.text()
        if "\n" in text:
            keys[action] = text.split("\n", 1)[1].split(" / ")
        elif " · " in text:
            keys[action] = [text.rsplit(" · ", 1)[1]]
    return keys


def test_the_guide_line_about_the_number_pad_names_only_keys_of_the_table() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("Papan angka USB"))
    pad = re.findall(r"\*\*(.+?)\*\*", line)
    assert pad == ["Enter", "+", "."]
    table = guide_keys()
    assert {"Enter", "+"} <= set(table[c.CALL_NEXT]) and "." in table[c.RECALL]


@pytest.fixture(params=["embedded", "hub"])
def hall(request: pytest.FixtureRequest, qtbot: QtBot, tmp_path: Path,
         small_config: HallConfig, clock: ManualClock) -> Iterator[Hall]:
    with open_hall(request.param, qtbot, tmp_path, small_config, clock) as h:
        yield h


def sent_kinds(link: SwitchableLink) -> list[str]:
    return [kind for kind, _ in link.sent]


def press(qtbot: QtBot, window: CounterWindow, p: Press) -> None:
    key, modifier, _text = p
    qtbot.keyClick(window, key, modifier)


# --- every key ------------------------------------------------------------------------------


@pytest.mark.parametrize("panel", [False, True], ids=["full", "panel"])
def test_every_key_the_buttons_and_the_guide_name_does_its_action(
        hall: Hall, qtbot: QtBot, panel: bool) -> None:
    hall.issue("ktp-ganti", 15)  # no daily quota
    hall.issue("kk", 15)
    core, window, link = hall.signed_in(1, panel=panel)
    activate(qtbot, window)
    guide, labels = guide_keys(), labelled_keys(window)
    assert set(labels) >= set(guide) - {BACK}, "a button of the guide shows no key"
    for action, names in labels.items():
        # What a button says, the guide says too (the guide may list more keys).
        assert set(names) <= set(guide.get(action, ())), (action, names)

    def do(step: Callable[[], object]) -> None:
        step()
        idle(qtbot, core)

    def called() -> None:
        if core.state.status != m.COUNTER_OPEN:
            do(core.open)
        current = core.state.current
        if current is None or current.ticket.status != m.CALLED:
            do(core.call_next)

    def no_ticket() -> None:
        if core.state.current is not None:
            do(core.finish)

    def prepare(action: str) -> None:
        window.show_main()
        if action == c.CALL_NEXT:
            called()  # with a visitor at the counter too: the next call finishes that one
        elif action in (c.RECALL, c.START, c.NO_SHOW, c.FINISH, c.TRANSFER, BACK):
            called()
        elif action == c.RETURN_NO_SHOW:
            if not core.state.no_shows:
                called()
                do(core.no_show)
        elif action in (c.PAUSE, c.CLOSE):
            no_ticket()
            if core.state.status != m.COUNTER_OPEN:
                do(core.open)
        elif action == c.OPEN:
            no_ticket()
            if core.state.status == m.COUNTER_OPEN:
                do(core.pause)
        if action == BACK:
            window.open_transfer()
            assert window.stack.currentIndex() == TRANSFER_PAGE
        else:
            assert window.actions_by_name[action].isEnabled(), action

    pages = {c.TRANSFER: TRANSFER_PAGE, c.RETURN_NO_SHOW: NO_SHOW_PAGE, BACK: MAIN_PAGE}
    tried = 0
    for action, names in guide.items():
        for name in names:
            for p in presses(name):
                prepare(action)
                before = len(link.sent)
                press(qtbot, window, p)
                idle(qtbot, core)
                where = f"{name} ({p[0].name}, {p[1].name}) for {action}"
                if action in pages:
                    assert window.stack.currentIndex() == pages[action], where
                    assert len(link.sent) == before, where
                else:
                    assert sent_kinds(link)[before:] == [action], where
                tried += 1
    assert tried >= 19  # the guide's table, both Enters and both '+', '.', '−'


def test_both_enter_keys_call_the_next_visitor(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 2)
    core, window, link = hall.signed_in(1)
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Return)  # the main keyboard's Enter
    idle(qtbot, core)
    assert window.ticket_label.text() == "KTP-001"
    qtbot.keyClick(window, Qt.Key.Key_Enter, PAD)  # the number pad's
    idle(qtbot, core)
    assert window.ticket_label.text() == "KTP-002"
    assert [link.reader.ticket(e.ticket_id).label for e in called_events(link)] == [
        "KTP-001", "KTP-002"]


def test_enter_in_the_pin_field_signs_in_and_calls_nobody(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru")
    core, window, link = hall.counter(1)
    activate(qtbot, window)
    window.officer_edit.setText("siti")
    window.pin_edit.setFocus()
    qtbot.keyClicks(window.pin_edit, PIN)
    qtbot.keyClick(window.pin_edit, Qt.Key.Key_Return)
    idle(qtbot, core)
    assert core.state.signed_in
    assert "call_next" not in sent_kinds(link)
    assert core.state.current is None


# --- held keys and double clicks ------------------------------------------------------------


@pytest.mark.parametrize("p", [
    (Qt.Key.Key_Return, NO_MOD, "\r"), (Qt.Key.Key_Enter, PAD, "\r"),
    (Qt.Key.Key_F1, NO_MOD, ""), (Qt.Key.Key_Plus, PAD, "+"),
], ids=["Return", "keypad-Enter", "F1", "keypad-plus"])
def test_a_held_key_calls_one_visitor(hall: Hall, qtbot: QtBot, p: Press) -> None:
    hall.issue("ktp-baru", 4)
    # No repeat guard: only the key handling may stop the auto-repeat.
    core, window, link = hall.signed_in(1, guard_s=0.0)
    activate(qtbot, window)
    key, modifier, text = p
    QTest.simulateEvent(window, True, key.value, modifier, text, False)
    idle(qtbot, core)
    assert window.ticket_label.text() == "KTP-001"
    # A held key: the keyboard repeats it, X11 as release/press pairs marked auto-repeat.
    for _ in range(8):
        QTest.simulateEvent(window, False, key.value, modifier, text, True)
        QTest.simulateEvent(window, True, key.value, modifier, text, True)
        idle(qtbot, core)
    QTest.simulateEvent(window, False, key.value, modifier, text, False)
    idle(qtbot, core)
    assert sent_kinds(link).count("call_next") == 1
    assert [link.reader.ticket(e.ticket_id).label for e in called_events(link)] == ["KTP-001"]


def test_a_double_click_on_call_next_calls_one_visitor(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 3)
    now = [100.0]
    # The app's own repeat guard (1 s), on a clock the test moves.
    core, window, link = hall.signed_in(1, "siti", guard_s=1.0, monotonic=lambda: now[0])
    button = window.buttons[c.CALL_NEXT]

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    idle(qtbot, core)  # the worst case: the answer is back before the second click
    now[0] += 0.15
    qtbot.mouseDClick(button, Qt.MouseButton.LeftButton)  # the second click of a double click
    idle(qtbot, core)
    assert sent_kinds(link).count("call_next") == 1
    assert window.ticket_label.text() == "KTP-001"

    now[0] += 1.0  # a deliberate click a moment later calls the next visitor
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    idle(qtbot, core)
    assert window.ticket_label.text() == "KTP-002"
    assert len(called_events(link)) == 2


def test_keys_and_clicks_while_the_hub_has_not_answered_do_nothing(
        hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 3)
    core, window, link = hall.signed_in(1, reply_timeout_ms=TIMEOUT)
    activate(qtbot, window)
    link.go_deaf()  # the command reaches the ledger; its answer does not come back yet
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert core.state.busy == c.CALL_NEXT
    sent = len(link.sent)
    for names in guide_keys().values():
        for name in names:
            for p in presses(name):
                press(qtbot, window, p)
    for button in window.buttons.values():
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert len(link.sent) == sent, link.sent[sent:]  # nothing went out
    assert window.stack.currentIndex() == MAIN_PAGE
    link.hear_again()
    idle(qtbot, core)
    assert window.ticket_label.text() == "KTP-001"
    assert [link.reader.ticket(e.ticket_id).label for e in called_events(link)] == ["KTP-001"]
