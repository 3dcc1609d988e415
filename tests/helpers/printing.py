"""Ticket printing for tests: the sample ticket the golden files and previews are made from, and
a real TCP "printer" on 127.0.0.1 that answers ESC/POS status queries like one on port 9100."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.printing import PrinterSettings, printer_settings_from_mapping
from kiosk.ticket import TicketContent

WIB = ZoneInfo("Asia/Jakarta")


def sample_content(**changes: object) -> TicketContent:
    """The fixed ticket the golden files and previews are made from."""
    content = TicketContent(
        mpp_name="Mal Pelayanan Publik",
        kabupaten="Kabupaten Sukoharjo",
        agency_name="Dinas Kependudukan dan Pencatatan Sipil",
        service_name="Perekaman KTP Elektronik (KTP-el)",
        label="KTP-023",
        people_ahead=12,
        estimated_wait_minutes=25,
        issued_at=dt.datetime(2026, 11, 27, 8, 3, tzinfo=WIB),
        # The ticket's web address as the kiosk builds it (shared/ticket_url.py), with a fixed
        # secret so the golden files stay the same.
        qr_payload="https://antrean.sukoharjo.example/t/20261127-KTP-023-5f0c3a9e71d24b8806ae",
        priority_group="lansia",
        counters_hint="Loket 1, 2",
        footer_lines=("Simpan tiket ini sampai nomor Anda dipanggil.",),
    )
    return replace(content, **changes)  # type: ignore[arg-type]


class FakeNetworkPrinter:
    """Listens on 127.0.0.1 like an ESC/POS printer on port 9100.

    It answers each DLE EOT status query that comes before the ticket with the configured byte;
    `answers=None` makes it accept connections and never say a word; `hang_up=True` closes the
    connection instead of answering. What each connection sent is kept in `jobs`.
    """

    def __init__(self, answers: dict[int, bytes] | None = None, hang_up: bool = False) -> None:
        self.answers = answers
        self.hang_up = hang_up
        self.jobs: list[bytes] = []
        self._done = threading.Condition()
        self._stopping = False
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            conn, _ = self._server.accept()
            with conn:
                if self._stopping:
                    return
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        got = bytearray()
        answered = 0
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
            while got[answered:answered + 2] == b"\x10\x04" and len(got) >= answered + 3:
                if self.hang_up:
                    conn.shutdown(socket.SHUT_RDWR)
                    break
                if self.answers is not None:
                    conn.sendall(self.answers[got[answered + 2]])
                answered += 3
        with self._done:
            self.jobs.append(bytes(got))
            self._done.notify_all()

    def wait_for_jobs(self, count: int) -> list[bytes]:
        with self._done:
            assert self._done.wait_for(lambda: len(self.jobs) >= count, timeout=5)
            return list(self.jobs)

    def stop(self) -> None:
        # Closing a listening socket does not wake a thread blocked in accept() on Linux;
        # one last connection does.
        self._stopping = True
        socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
        self._thread.join(timeout=5)
        assert not self._thread.is_alive()
        self._server.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def network(port: int, **extra: Any) -> PrinterSettings:
    data = {"kind": "network", "host": "127.0.0.1", "port": port, "timeout": 0.5, **extra}
    return printer_settings_from_mapping(data, "test")


HEALTHY = {1: b"\x12", 4: b"\x12"}
