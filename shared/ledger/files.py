"""Files and folders only their owner may read: the ledger and its -wal/-shm, the auth store,
the TLS key, backups, replicas, whatever the process's umask.

A hall's ledger holds who came for what and when; the auth store holds token and PIN hashes.
They are made 0600 (folders 0700) when they are created, by an explicit chmod, because a
umask of 000 (a shell, a cron job, a service without UMask=) would otherwise make them readable
and writable by every user of the PC. SQLite gives a database's -wal, -shm and -journal files
the mode of the database file itself, so creating the database file 0600 before SQLite opens
it is enough for all of them. Files and folders that exist already are left as they are: the
installer or the IT officer may have chosen their modes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | Path) -> Path:
    """Make the folder `path` and any missing parents, each 0700; existing ones are kept."""
    folder = Path(path)
    missing: list[Path] = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            p.mkdir(mode=DIR_MODE)
            _chmod(p, DIR_MODE)
    return folder


def private_file(path: str | Path) -> int:
    """Open `path` for reading and writing, creating it 0600 if it does not exist; returns the
    descriptor. A root process that creates it gives it to the folder's owner (a tool run as
    root must not leave a file the hub's own user cannot open)."""
    p = Path(path)
    private_dir(p.parent)
    flags = os.O_RDWR | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        try:
            return os.open(p, flags)
        except PermissionError:
            return os.open(p, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    _fchmod(fd, FILE_MODE)
    _give_to_folder_owner(fd, p.parent)
    return fd


def create_private(path: str | Path) -> Path:
    """Make `path` an empty 0600 file if it does not exist yet (an empty file is an empty
    SQLite database), so the SQLite files made from it are 0600 too."""
    p = Path(path)
    if not p.exists():
        os.close(private_file(p))
    return p


def _chmod(p: Path, mode: int) -> None:
    if os.name == "posix":
        os.chmod(p, mode)


def _fchmod(fd: int, mode: int) -> None:
    if os.name == "posix":
        os.fchmod(fd, mode)


def _give_to_folder_owner(fd: int, folder: Path) -> None:
    if os.name != "posix" or os.geteuid() != 0:
        return
    st = folder.stat()
    if st.st_uid != 0:
        with contextlib.suppress(OSError):
            os.fchown(fd, st.st_uid, st.st_gid)
