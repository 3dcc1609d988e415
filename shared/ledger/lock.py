"""The hub's hold on its ledger, and the check every tool that replaces or moves a ledger makes.

The hub takes an OS lock (flock on POSIX, a byte-range lock on Windows) on `<ledger>.lock`
beside the ledger for as long as it runs. The operating system drops the lock when the process
ends however it ends (SIGKILL and power cuts included), so a crashed hub never leaves a stale
lock behind, as a pid file would. `antrean backup restore`, `antrean hub --restore-from` and
`antrean ledger rebuild` take the same lock for the time they work, so they refuse while a hub
serves the ledger (a restore under a running hub moved the file aside while the hub kept
acknowledging tickets into it), and a second hub on the same ledger is refused as well.

The lock file also holds one line saying who holds it and how to stop them, for the refusal's
message; that line is only informative: the lock is the OS lock, never the file's content.
Reading the ledger (backups, `ledger verify`, `doctor`) needs no lock.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from shared.ledger.files import private_file
from shared.ledger.store import LedgerError

LOCK_SUFFIX = ".lock"
# The systemd unit's name (deploy/systemd/antrean-hub.service).
STOP_HUB = "stop the hub first: systemctl stop antrean-hub"


class LedgerInUse(LedgerError):
    """Another process holds the ledger; the message names it and how to stop it."""


def lock_path(ledger: str | Path) -> Path:
    p = Path(ledger)
    return p.with_name(p.name + LOCK_SUFFIX)


class LedgerLock:
    """A held lock; release() (or the end of the process) gives it up."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the OS lock
            self._fd = None

    def __enter__(self) -> LedgerLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _try_lock(fd: int) -> bool:
    if os.name == "posix":
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt  # pragma: no cover (Windows)

    try:  # pragma: no cover
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
    except OSError:  # pragma: no cover
        return False
    return True  # pragma: no cover


def hold_ledger(ledger: str | Path, holder: str, how_to_stop: str) -> LedgerLock:
    """Take the lock of `ledger` for `holder` (e.g. "the hub"), or raise LedgerInUse naming
    the process that holds it. `how_to_stop` is what another tool's refusal tells the user."""
    path = lock_path(ledger)
    try:
        fd = private_file(path)
    except OSError as e:
        raise LedgerError(f"cannot open the lock file {path}: {e.strerror or e}") from None
    if not _try_lock(fd):
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            who = os.read(fd, 400).decode("utf-8", "replace").strip()
        except OSError:
            who = ""  # Windows cannot read a byte another process has locked
        finally:
            os.close(fd)
        raise LedgerInUse(f"{ledger} is in use by {who or 'another program'}")
    since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    line = f"{holder} (pid {os.getpid()}, since {since}); {how_to_stop}\n"
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, line.encode("utf-8"))
    except OSError:
        pass  # a full disk: the lock holds all the same, only the message is poorer
    return LedgerLock(fd, path)


def hold_for_hub(ledger: str | Path) -> LedgerLock:
    return hold_ledger(ledger, "the hub", STOP_HUB)


def hold_for_tool(ledger: str | Path, tool: str) -> LedgerLock:
    """For a tool that replaces or rewrites the ledger while it works."""
    return hold_ledger(ledger, tool, "wait for it to finish")
