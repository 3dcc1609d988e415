"""A guard on the Qt binding pinned in pyproject.toml.

PySide6 6.12.0 on Python 3.11 drops a reference to True on every Signal.emit() and to None on
many void calls (QWidget.update, QTimer.start ...); a board making hundreds of such calls a
second aborts the interpreter within minutes (bool_dealloc / none_dealloc). We pin below 6.12;
this test fails if a binding with that fault is ever installed."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot


class _Probe(QObject):
    ping = Signal(str)


def test_emits_and_void_calls_keep_their_references(qtbot: QtBot) -> None:
    probe, widget, timer = _Probe(), QWidget(), QTimer()
    qtbot.addWidget(widget)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(300):  # enough to see a leak, too few to exhaust True or None
        probe.ping.emit("x")
        widget.update()
        timer.start(1000)
        timer.stop()
    # Other threads move these counts a little; a leak moves them by hundreds.
    assert abs(sys.getrefcount(True) - true_before) < 60
    assert abs(sys.getrefcount(None) - none_before) < 60
