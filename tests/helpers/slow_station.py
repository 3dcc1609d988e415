"""A station that says hello and then never reads: what one hostile display token can open by
the hundred (tests/system/test_slow_stations.py, benchmarks/bench_hub.py)."""

from __future__ import annotations

import base64
import json
import os
import socket


def never_reads(port: int, token: str) -> socket.socket:
    """A WebSocket client by hand: the upgrade and a hello from seq 0, then it never reads
    (a 4 KiB receive buffer, set before connecting, so the kernel holds little for it)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    payload = json.dumps({"type": "hello", "token": token, "after": 0}).encode()
    assert len(payload) < 126  # one masked frame with a 7-bit length
    mask = os.urandom(4)
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask
                 + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    return sock
