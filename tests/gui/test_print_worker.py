"""PrintWorker: printing and status checks run on the print thread, never the GUI thread."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from kiosk.print_worker import PrintWorker
from kiosk.printing import (
    DummyPrinter,
    EscposTicketPrinter,
    PrinterStatus,
    TicketPrinter,
    render_escpos,
)
from kiosk.ticket import TicketLayout, layout_ticket
from tests.helpers.printing import (
    HEALTHY,
    FakeNetworkPrinter,
    closed_port,
    network,
    sample_content,
)

MakeWorker = Callable[..., PrintWorker]


@pytest.fixture
def make_worker(qtbot: Any) -> Iterator[MakeWorker]:
    workers: list[PrintWorker] = []

    def make(printer: TicketPrinter, **kwargs: Any) -> PrintWorker:
        workers.append(PrintWorker(printer, **kwargs))
        return workers[-1]

    yield make
    for worker in workers:
        assert worker.shutdown(), "the print thread did not stop"


@pytest.fixture
def fake_network_printers() -> Iterator[list[FakeNetworkPrinter]]:
    made: list[FakeNetworkPrinter] = []
    yield made
    for p in made:
        p.stop()


def layout() -> TicketLayout:
    return layout_ticket(sample_content(), "58mm")


class CrashingPrinter(DummyPrinter):
    """A backend with a bug: raises something other than PrinterError."""

    def print_ticket(self, layout: TicketLayout) -> None:
        raise RuntimeError("bug in a backend")


def test_dummy_printer_prints_on_the_print_thread(qtbot: Any, make_worker: MakeWorker) -> None:
    printer = DummyPrinter()
    worker = make_worker(printer)
    with qtbot.waitSignal(worker.printed, timeout=5000) as blocker:
        worker.submit("t-1", layout())
    assert blocker.args == ["t-1"]
    assert printer.jobs == [render_escpos(layout())]
    assert printer.print_threads and threading.get_ident() not in printer.print_threads


def test_jobs_print_in_the_order_submitted(qtbot: Any, make_worker: MakeWorker) -> None:
    printer = DummyPrinter()
    worker = make_worker(printer)
    done: list[str] = []
    worker.printed.connect(done.append)
    layouts = [layout_ticket(sample_content(label=f"A-00{i}"), "58mm") for i in range(1, 4)]
    for i, lay in enumerate(layouts, start=1):
        worker.submit(f"t-{i}", lay)
    qtbot.waitUntil(lambda: len(done) == 3, timeout=5000)
    assert done == ["t-1", "t-2", "t-3"]
    assert printer.jobs == [render_escpos(lay) for lay in layouts]


def test_closed_port_gives_failed_with_the_reason(qtbot: Any, make_worker: MakeWorker) -> None:
    worker = make_worker(EscposTicketPrinter(network(closed_port())), status_interval_ms=60_000)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.submit("t-9", layout())
    ticket_id, reason = blocker.args
    assert ticket_id == "t-9"
    assert "refused the connection" in reason
    # A failure triggers a status check at once: the closed port cannot be reached.
    qtbot.waitUntil(lambda: worker.status == "unreachable", timeout=5000)


def test_gui_keeps_running_while_a_silent_printer_is_waited_for(
    qtbot: Any, make_worker: MakeWorker, fake_network_printers: list[FakeNetworkPrinter],
) -> None:
    silent = FakeNetworkPrinter(answers=None)
    fake_network_printers.append(silent)
    worker = make_worker(EscposTicketPrinter(network(silent.port)), status_interval_ms=60_000)
    # The first status check (0.5 s of silence) runs at start-up; wait it out to time the print.
    qtbot.waitSignal(worker.status_changed, timeout=5000).wait()
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    before = len(ticks)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.submit("t-5", layout())
    timer.stop()
    assert "did not answer" in blocker.args[1]
    # 0.5 s of waiting for the printer: a 20 ms GUI timer kept firing all along.
    assert len(ticks) - before >= 10


def test_status_is_checked_periodically_off_the_gui_thread(
    qtbot: Any, make_worker: MakeWorker,
) -> None:
    printer = DummyPrinter(status=PrinterStatus.OK)
    worker = make_worker(printer, status_interval_ms=30)
    with qtbot.waitSignal(worker.status_changed, timeout=5000,
                          check_params_cb=lambda s: s == "ok"):
        pass
    printer.reported_status = PrinterStatus.PAPER_LOW
    with qtbot.waitSignal(worker.status_changed, timeout=5000,
                          check_params_cb=lambda s: s == "paper_low"):
        pass
    assert worker.status == "paper_low"
    assert threading.get_ident() not in printer.status_threads


def test_status_changed_only_when_it_changes(qtbot: Any, make_worker: MakeWorker) -> None:
    printer = DummyPrinter(status=PrinterStatus.OK)
    worker = make_worker(printer, status_interval_ms=10)
    seen: list[str] = []
    worker.status_changed.connect(seen.append)
    qtbot.waitUntil(lambda: len(printer.status_threads) >= 5, timeout=5000)
    printer.reported_status = PrinterStatus.PAPER_OUT
    qtbot.waitUntil(lambda: "paper_out" in seen, timeout=5000)
    assert seen == ["ok", "paper_out"]


def test_network_status_through_the_worker(
    qtbot: Any, make_worker: MakeWorker, fake_network_printers: list[FakeNetworkPrinter],
) -> None:
    fake = FakeNetworkPrinter(answers={1: b"\x12", 4: b"\x1e"})
    fake_network_printers.append(fake)
    worker = make_worker(EscposTicketPrinter(network(fake.port)))
    with qtbot.waitSignal(worker.status_changed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["paper_low"]


def test_a_crashing_backend_fails_the_ticket_and_keeps_the_thread(
    qtbot: Any, make_worker: MakeWorker,
) -> None:
    worker = make_worker(CrashingPrinter())
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.submit("t-1", layout())
    assert "bug in a backend" in blocker.args[1]
    worker.check_status_now()
    qtbot.waitUntil(lambda: worker.status == "ok", timeout=5000)


def test_submit_after_shutdown_fails_at_once(qtbot: Any) -> None:
    fake = FakeNetworkPrinter(answers=HEALTHY)
    try:
        worker = PrintWorker(EscposTicketPrinter(network(fake.port)))
        assert worker.shutdown()
        with qtbot.waitSignal(worker.failed, timeout=1000) as blocker:
            worker.submit("t-2", layout())
        assert blocker.args == ["t-2", "the print worker has been shut down"]
    finally:
        fake.stop()
