"""Work around a reference-count bug in PySide6 6.12.0's `SignalInstance.emit` (Python 3.11).

Measured here (PySide6 6.12.0, CPython 3.11.7): every `some_signal.emit(...)` called from
Python returns `True` without taking a reference to it, so each emit leaves `True` with one
reference fewer. `True` starts with a few hundred references; after that many emits CPython
aborts with "Fatal Python error: bool_dealloc: deallocating True or False". On Python 3.12+
`True` is immortal and the bug is invisible, which is probably why it shipped.

`emit()` below gives the reference back when, and only when, the running PySide6 is found to
drop it (probed once at import). Giving back a reference that was not lost would be harmless
anyway: `True` is never freed. This belongs in a shared Qt module; it lives here because the
voice package was the first to trip over it.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

_PROBE_EMITS = 16


class _Probe(QObject):
    ping = Signal()


def _emit_drops_true() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    dropped = lost >= _PROBE_EMITS // 2  # other threads may move the count a little
    if dropped:
        for _ in range(lost):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return dropped


EMIT_DROPS_TRUE = _emit_drops_true()


def emit(signal: SignalInstance, *args: Any) -> None:
    """`signal.emit(*args)`, safe on a PySide6 whose emit drops a reference to `True`."""
    # The stubs say emit() returns None; at run time it returns a bool (that is the bug).
    result: object = signal.emit(*args)  # type: ignore[func-returns-value]
    if EMIT_DROPS_TRUE and result is True:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
