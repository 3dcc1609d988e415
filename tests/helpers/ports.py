"""A free loopback port for a server a test starts (a hub, PostgreSQL, a printer stand-in).

Asking the kernel for port 0 and closing the socket hands out a port from the ephemeral range
(32768-60999 on Linux), where the kernel also picks every outgoing connection's port and every
other test worker's port 0: a hub restarted on "its" port, or started a moment after the
check, could meet another worker's hub there and the test would talk to the wrong one. So each
pytest-xdist worker takes ports from its own block below the ephemeral range, which the kernel
never hands out by itself, and checks each one is free before using it.
"""

from __future__ import annotations

import itertools
import os
import socket

FIRST_PORT = 20000
BLOCK = 500
BLOCKS = 24  # 20000-31999: below the ephemeral range
_taken = itertools.count()


def _block_start() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... or unset
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else BLOCKS - 1
    return FIRST_PORT + (index % BLOCKS) * BLOCK


def free_port() -> int:
    start = _block_start()
    for _ in range(BLOCK):
        port = start + next(_taken) % BLOCK
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use (by a test of this worker still running, or anyone else)
            return port
    raise RuntimeError(f"no free port in {start}-{start + BLOCK - 1}")
