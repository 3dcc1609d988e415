"""The LAN StationLink: a QWebSocket to the hub, living in the Qt event loop.

Every event from the hub goes into the station's replica before `events_applied` is emitted,
so `reader` queries in the slot already see it. The link reconnects by itself with backoff and
asks for everything after the replica's last sequence number. Commands sent while the hub was
reachable keep their id and are sent again after a reconnect (the hub answers a repeated id
with the first result); commands asked for while offline are refused at once, so an app never
promises what it cannot guarantee.

Over wss:// the link trusts exactly one certificate: the hub's, pinned by its SHA-256
fingerprint (shared.hub.tls). Qt sees a self-signed certificate for a name it does not match;
those errors are ignored only after the peer's certificate proved to be the pinned one, and the
pin is checked again before the hello (the token) goes out. A different certificate is a fake or
replaced hub: the link stays offline and keeps trying, and sends it nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCryptographicHash, QTimer, QUrl, Slot
from PySide6.QtNetwork import QSslConfiguration, QSslError
from PySide6.QtWebSockets import QWebSocket

from shared import indonesian as ID
from shared.clock import Clock
from shared.config import ConfigError, HallConfig, loads_config
from shared.hub import protocol as p
from shared.hub import tls
from shared.ledger.model import OFFICER_SIGNED_OUT, Command, Event, Refusal, Result
from shared.ledger.queries import LedgerReader
from shared.station.link import StationLink
from shared.station.replica import Replica, ReplicaGap

log = logging.getLogger(__name__)

BACKOFF_START_MS = 250
BACKOFF_MAX_MS = 5000
CONFIG_META_KEY = "hall_config_toml"


class HubLinkError(Exception):
    pass


class TokenRefused(OSError):
    """The hub answered, and refused this station's token (unknown, revoked or replaced)."""


# Error codes after which the hub closes the connection for good: the link stops retrying
# (a refused station must not hammer the hub) and says why, in English in the log and in
# Indonesian on the screens that show it.
REFUSALS = {
    "unknown_token": ("the hub refused this station's token (not enrolled, or enrolled "
                      "again since)", "Token perangkat ini ditolak server antrean. Hubungi "
                      "petugas TI."),
    "token_revoked": ("the hub refused this station's token: it was revoked or replaced",
                      "Perangkat ini dicabut dari server antrean. Hubungi petugas TI."),
    "protocol": ("the hub speaks another protocol version",
                 "Versi aplikasi tidak cocok dengan server antrean. Hubungi petugas TI."),
    "replica_ahead": ("the hub holds less history than this station's replica",
                      "Perangkat ini ditolak server antrean. Hubungi petugas TI."),
}
TOKEN_FIX = ("enroll this station again on the hub PC ('antrean hub ... enroll --role ROLE "
             "--name NAME') and put the new ANTREAN_TOKEN in station.env")


def default_replica_path(device: str) -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "antrean" / f"replica-{device}.db"


def http_url(ws_url: str) -> str:
    url = ws_url.rstrip("/").removesuffix("/ws")
    return url.replace("wss://", "https://", 1).replace("ws://", "http://", 1)


def fetch_config(ws_url: str, token: str, pinned: str | None = None,
                 timeout: float = 3.0) -> bytes:
    """The hall config from the hub. Over https the certificate is checked against the pin
    before the request (and its token) is sent; a mismatch raises tls.FingerprintMismatch.
    A refused token raises TokenRefused."""
    url = f"{http_url(ws_url)}/config"
    headers = {"Authorization": f"Bearer {token}"}
    if tls.is_tls_url(url):
        if pinned is None:
            raise tls.TlsError(f"{url}: no pinned fingerprint to check the hub against")
        try:
            reply = tls.pinned_get(url, pinned, headers, timeout)
        except http.client.HTTPException as e:
            raise OSError(f"bad answer from {url}: {e!r}") from None
        if reply.status == 401:
            raise TokenRefused(_refusal_text(reply.body))
        if reply.status != 200:
            raise OSError(f"{url} answered HTTP {reply.status}")
        return reply.body
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return bytes(r.read())
    except urllib.error.HTTPError as e:
        if e.code == 401:
            raise TokenRefused(_refusal_text(e.read(4096))) from None
        raise


def _refusal_text(body: bytes) -> str:
    """The English reason for a 401 from the hub (its JSON says unknown or revoked)."""
    try:
        why = str(json.loads(body).get("error") or "")
    except (ValueError, AttributeError):
        why = ""
    code = "token_revoked" if "revoked" in why else "unknown_token"
    return REFUSALS[code][0]


class HubLink(StationLink):
    def __init__(self, config: HallConfig, url: str, token: str, replica: Replica,
                 device: str, clock: Clock | None = None, fingerprint: str | None = None
                 ) -> None:
        try:
            pin = tls.station_pin(url, fingerprint)
        except tls.TlsError as e:
            raise HubLinkError(str(e)) from None
        super().__init__(config, device, clock)
        self.url = url if url.rstrip("/").endswith("/ws") else url.rstrip("/") + "/ws"
        self.token = token
        self.pin = pin
        # Why the link is offline when it is the hub's certificate (for logs and screens).
        self.tls_problem: str | None = None
        self.replica = replica
        self._reader = LedgerReader(replica.conn, config)
        self._pending: dict[str, dict[str, Any]] = {}
        self._backoff = BACKOFF_START_MS
        self._closing = False
        self.refused_reason: str | None = None
        self.refused_code: str | None = None
        self.welcome: dict[str, Any] = {}
        self._ws = QWebSocket()
        if self.pin is not None:
            ssl = QSslConfiguration.defaultConfiguration()
            # No certificate authority may vouch for a hub: a certificate some CA signed
            # must still match the pin, so every certificate has to go through sslErrors.
            ssl.setCaCertificates([])
            self._ws.setSslConfiguration(ssl)
            self._ws.sslErrors.connect(self._on_ssl_errors)
        self._ws.connected.connect(self._on_connected)
        self._ws.disconnected.connect(self._on_disconnected)
        self._ws.textMessageReceived.connect(self._on_text)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._open)
        self._open()

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> HubLink:
        """Fetch the hall config from the hub (the one source of truth), or fall back to the
        copy kept in the replica from the last time, so a station restarts while the hub is
        down."""
        if not args.token:
            raise HubLinkError("a station on the LAN needs its token (--token or ANTREAN_TOKEN)")
        try:
            pin = tls.station_pin(args.hub, getattr(args, "hub_fingerprint", None))
        except tls.TlsError as e:
            raise HubLinkError(str(e)) from None
        replica = Replica(Path(args.replica) if args.replica else
                          default_replica_path(args.device))
        try:
            raw = fetch_config(args.hub, args.token, pin)
            replica.set_meta(CONFIG_META_KEY, raw.decode("utf-8"))
        except TokenRefused as e:
            cached = replica.get_meta(CONFIG_META_KEY)
            if cached is None:
                replica.close()
                raise HubLinkError(f"{e} at {args.hub}: {TOKEN_FIX}") from None
            # With a hall config kept from before, start and say it on the screen (a kiosk
            # PC restarting in a loop would say nothing to anyone).
            log.error("%s at %s: %s; starting with the cached hall config", e, args.hub,
                      TOKEN_FIX)
            raw = cached.encode("utf-8")
        except tls.FingerprintMismatch as e:
            # A fake hub answering must not stop a station that has its config already: it
            # starts offline and keeps looking for the real hub.
            log.error("%s: %s", args.hub, e)
            cached = replica.get_meta(CONFIG_META_KEY)
            if cached is None:
                replica.close()
                raise HubLinkError(f"{args.hub}: {e}") from None
            raw = cached.encode("utf-8")
        except (OSError, urllib.error.URLError) as e:
            cached = replica.get_meta(CONFIG_META_KEY)
            if cached is None:
                raise HubLinkError(f"cannot reach the hub at {args.hub} ({e}) and no hall "
                                   f"config is cached yet") from None
            log.warning("hub unreachable (%s); using the cached hall config", e)
            raw = cached.encode("utf-8")
        try:
            config = loads_config(raw, f"{args.hub}/config")
        except ConfigError as e:
            raise HubLinkError(str(e)) from None
        return cls(config, args.hub, args.token, replica, args.device, fingerprint=pin)

    # --- StationLink -------------------------------------------------------------------------

    @property
    def reader(self) -> LedgerReader:
        return self._reader

    def _submit(self, cmd: Command) -> None:
        self._request({"type": "command", "id": cmd.id, "kind": cmd.kind, "args": cmd.args})

    def sign_in(self, officer: str, pin: str, counter: int) -> str:
        cid = uuid.uuid4().hex
        self._request({"type": "sign_in", "id": cid, "officer": officer, "pin": pin,
                       "counter": counter})
        return cid

    def close(self) -> None:
        self._closing = True
        self._retry.stop()
        # Stop listening first: a frame delivered while the socket closes must not reach a
        # closed replica.
        self._ws.textMessageReceived.disconnect(self._on_text)
        self._ws.close()
        self.replica.close()

    # --- the connection ------------------------------------------------------------------------

    def _request(self, msg: dict[str, Any]) -> None:
        if not self.is_online():
            result = Result(msg["id"], False, refusal=Refusal(
                "offline", "not connected to the hub",
                "Tidak terhubung ke server antrean. Mohon tunggu sebentar."))
            QTimer.singleShot(0, lambda: self.replied.emit(result))
            return
        self._pending[msg["id"]] = msg
        self._ws.sendTextMessage(p.dumps(msg))

    @Slot()
    def _open(self) -> None:
        if not self._closing:
            self._ws.open(QUrl(self.url))

    def offline_reason(self) -> str | None:
        if self.refused_reason:
            return REFUSALS.get(self.refused_code or "", REFUSALS["replica_ahead"])[1]
        if self.tls_problem:
            return "Sertifikat server antrean tidak cocok. Hubungi petugas TI."
        return None

    def _peer_fingerprint(self) -> str:
        cert = self._ws.sslConfiguration().peerCertificate()
        if cert.isNull():
            return ""
        return bytes(cert.digest(QCryptographicHash.Algorithm.Sha256).toHex().data()).decode()

    def _refuse_certificate(self, seen: str) -> None:
        problem = tls.MISMATCH
        if self.tls_problem != problem:  # once per episode, not at every retry
            log.error("%s at %s (expected %s, got %s); not sending this station's token",
                      problem, self.url, self.pin, seen or "no certificate")
            self.tls_problem = problem
            self._reason_changed()

    @Slot(list)
    def _on_ssl_errors(self, errors: list[QSslError]) -> None:
        """Qt reports a self-signed certificate for another name: expected for the hub. Those
        errors are ignored only when the certificate is exactly the pinned one."""
        seen = self._peer_fingerprint()
        if seen and seen == self.pin:
            self._ws.ignoreSslErrors(errors)
        else:
            # Not ignoring them is the refusal: Qt ends the handshake and the connection.
            self._refuse_certificate(seen)

    @Slot()
    def _on_connected(self) -> None:
        if self.pin is not None:
            # Checked again before the token goes out, whatever the handshake reported.
            seen = self._peer_fingerprint()
            if seen != self.pin:
                self._refuse_certificate(seen)
                self._ws.abort()
                return
        self._ws.sendTextMessage(p.dumps({
            "type": "hello", "token": self.token, "after": self.replica.last_seq,
            "protocol": p.PROTOCOL_VERSION}))

    @Slot()
    def _on_disconnected(self) -> None:
        self._set_online(False)
        if self._closing or self.refused_reason:
            return
        self._retry.start(self._backoff)
        self._backoff = min(self._backoff * 2, BACKOFF_MAX_MS)

    @Slot(str)
    def _on_text(self, text: str) -> None:
        try:
            d = json.loads(text)
            kind = d.get("type")
            if kind == "welcome":
                self._welcome(d)
            elif kind == "events":
                self._events([Event.from_dict(e) for e in d["events"]])
            elif kind == "result":
                self._result(d)
            elif kind == "error":
                self._error(d)
        except ReplicaGap as e:
            log.warning("%s; reconnecting to catch up", e)
            self._ws.close()
        except (ValueError, KeyError, TypeError) as e:
            log.error("unreadable message from the hub: %s", e)

    def _welcome(self, d: dict[str, Any]) -> None:
        self.welcome = d
        self.tls_problem = None
        self.device = str(d.get("station") or self.device)
        self._backoff = BACKOFF_START_MS
        if d.get("config_digest") and d["config_digest"] != self.config.digest:
            log.warning("the hub's hall config changed since this station started; "
                        "restart the station to use it")
        self._set_online(True)
        # Anything sent before the connection dropped goes again with the same id.
        for msg in list(self._pending.values()):
            self._ws.sendTextMessage(p.dumps(msg))

    def _events(self, events: list[Event]) -> None:
        applied = self.replica.apply(events)
        for e in applied:
            if e.kind == OFFICER_SIGNED_OUT and self.officer is not None and (
                    e.data.get("officer") == self.officer):
                # Signed out by the hub (IT disabled the officer) or by this station.
                self.officer = None
        if applied:
            self.events_applied.emit(applied)

    def _result(self, d: dict[str, Any]) -> None:
        msg = self._pending.pop(d["id"], None)
        result = Result.from_dict(d["result"])
        if msg is not None and msg["type"] == "sign_in" and result.ok:
            self.officer = msg["officer"]
        if msg is not None and msg.get("kind") == "sign_out" and result.ok:
            self.officer = None
        self.replied.emit(result)

    def _error(self, d: dict[str, Any]) -> None:
        code = d.get("code")
        if isinstance(code, str) and code in REFUSALS:
            if code in ("unknown_token", "token_revoked"):
                log.error("%s at %s; not reconnecting: %s", REFUSALS[code][0], self.url,
                          TOKEN_FIX)
            else:
                log.error("%s (%s); not reconnecting", REFUSALS[code][0], d.get("message"))
            self.refused_reason = str(d.get("message") or code)
            self.refused_code = code
            self._reason_changed()
        else:
            log.warning("hub error %s: %s", code, d.get("message"))
        msg_id = d.get("id")
        if msg_id and msg_id in self._pending:
            self._pending.pop(msg_id)
            self.replied.emit(Result(msg_id, False, refusal=Refusal(
                str(code), str(d.get("message")), ID.COMMAND_REFUSED)))
