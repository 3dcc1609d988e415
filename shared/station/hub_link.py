"""The LAN StationLink: a QWebSocket to the hub, living in the Qt event loop.

The protocol itself (hello, reconnect backoff with jitter, resending in-flight commands with
their ids, refusing commands asked for while offline, catch-up, close codes, the signed-in
officer) is shared.station.protocol's `StationProtocol`; this class only carries out its
actions with a QWebSocket and a QTimer. Every event from the hub goes into the station's
replica before `events_applied` is emitted, so `reader` queries in the slot already see it.

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
import sqlite3
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QCryptographicHash, QTimer, QUrl, Signal, Slot
from PySide6.QtNetwork import QSslConfiguration, QSslError
from PySide6.QtWebSockets import QWebSocket

from shared.clock import Clock, OffsetClock
from shared.config import ConfigError, HallConfig, loads_config
from shared.hub import protocol as p
from shared.hub import tls
from shared.ledger.model import Command, Result
from shared.ledger.queries import LedgerReader
from shared.ledger.store import LedgerError
from shared.station import hall_files
from shared.station import protocol as sp
from shared.station.link import StationLink
from shared.station.replica import (
    Replica,
    ReplicaDamaged,
    ReplicaForked,
    ReplicaGap,
    open_replica,
)

log = logging.getLogger(__name__)

CONFIG_META_KEY = "hall_config_toml"


class HubLinkError(Exception):
    pass


class TokenRefused(OSError):
    """The hub answered, and refused this station's token (unknown, revoked or replaced)."""


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
    code = p.TOKEN_REVOKED if "revoked" in why else p.UNKNOWN_TOKEN
    return sp.REFUSALS[code][0]


class HubLink(StationLink):
    _files_fetched = Signal(object)  # hall_files.FetchReport, from the fetching thread

    def __init__(self, config: HallConfig, url: str, token: str, replica: Replica,
                 device: str, clock: Clock | None = None, fingerprint: str | None = None,
                 files: Path | None = None) -> None:
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
        # Reconnect delays: Backoff's own, the ones docs/protocol.md section 9 gives.
        self._proto = sp.StationProtocol(token, replica.last_seq, session=self._session,
                                         clock=self.clock, last_hash=replica.last_hash)
        self._hub_clock = OffsetClock(self.clock, lambda: self._proto.hub_offset_ms)
        self._closing = False
        self.refused_reason: str | None = None  # the hub's words, once it refused the station
        self.refused_code: str | None = None
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
        self._retry.timeout.connect(self._on_retry)
        # The hall's uploaded logos the config names, fetched from the hub on a thread of
        # their own (never the GUI's) at each welcome and config change; what failed is
        # asked for again after files_retry_seconds.
        self.hall_files = files or hall_files.default_folder(replica.path)
        self.files_retry_seconds = hall_files.RETRY_SECONDS
        self._fetching = False
        self._fetch_again = False
        self._files_retry = QTimer(self)
        self._files_retry.setSingleShot(True)
        self._files_retry.timeout.connect(self.fetch_files)
        self._files_fetched.connect(self._on_files_fetched)
        self.config_changed.connect(self.fetch_files)
        self._do(self._proto.start())

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
        try:
            replica = open_replica(Path(args.replica) if args.replica else
                                   default_replica_path(args.device))
        except (LedgerError, sqlite3.Error, OSError) as e:
            raise HubLinkError(f"cannot open this station's replica: {e}") from None
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

    @property
    def welcome(self) -> p.Welcome | None:
        """The hub's welcome on the current (or last) connection."""
        return self._proto.welcome

    @property
    def catching_up(self) -> bool:
        return self._proto.catching_up

    def _submit(self, cmd: Command) -> None:
        self._request(p.CommandMsg(cmd.id, cmd.kind, cmd.args))

    def sign_in(self, officer: str, pin: str, counter: int,
                command_id: str | None = None) -> str:
        msg = p.SignIn(command_id or uuid.uuid4().hex, officer, pin, counter)
        self._request(msg)
        return msg.id

    def close(self) -> None:
        self._closing = True
        self.closed = True
        self._proto.close()
        self._retry.stop()
        self._files_retry.stop()
        # Stop listening first: a frame delivered while the socket closes must not reach a
        # closed replica.
        self._ws.textMessageReceived.disconnect(self._on_text)
        self._ws.close()
        # Nothing the closing socket says later (disconnected, an error) may reach this link:
        # it may be gone by then, and Qt would call into a deleted object.
        self._ws.blockSignals(True)
        self.replica.close()

    # --- the connection ------------------------------------------------------------------------

    def _request(self, msg: p.Request) -> None:
        # A reply decided right away (offline, refused) comes on the next turn of the event
        # loop, as the hub's would: the app has not even stored the id yet.
        self._do(self._proto.request(msg), defer_replies=True)

    def _do(self, actions: Iterable[sp.Action], defer_replies: bool = False) -> None:
        """Carry out the protocol's actions, in order."""
        for action in actions:
            match action:
                case sp.Connect():
                    if not self._closing:
                        self._ws.open(QUrl(self.url))
                case sp.Send(text):
                    self._ws.sendTextMessage(text)
                case sp.Apply(events):
                    try:
                        applied = self.replica.apply(list(events))
                    except ReplicaForked as e:
                        self._do(self._proto.history_differs(str(e)))
                        return
                    except ReplicaDamaged as e:
                        # Never go on with a garbled copy: keep it aside, fill a new one.
                        self.replica.start_over(str(e))
                        self._reader = LedgerReader(self.replica.conn, self.config)
                        self._do(self._proto.events_not_applied(str(e)))
                        return
                    except (ReplicaGap, LedgerError) as e:
                        self._do(self._proto.events_not_applied(str(e)))
                        return
                    if applied:
                        self.events_applied.emit(applied)
                case sp.Reply(result):
                    self._reply(result, defer_replies)
                case sp.WentOnline(welcome):
                    self._welcomed(welcome)
                case sp.WentOffline():
                    self._set_online(False)
                case sp.RetryIn(seconds):
                    if not self._closing:
                        self._retry.start(max(1, round(seconds * 1000)))
                case sp.Disconnect():
                    self._ws.close()
                case sp.GiveUp(code, message):
                    self._refused(code, message)
                case sp.CaughtUp():
                    pass

    def hub_clock(self) -> Clock | None:
        return self._hub_clock if self._proto.hub_time_known else None

    def _reply(self, result: Result, defer: bool) -> None:
        if defer:
            self._reply_later(result)
        else:
            self.replied.emit(result)

    @Slot()
    def _on_retry(self) -> None:
        self._do(self._proto.timer_fired())

    def offline_reason(self) -> str | None:
        if self.refused_reason:
            return sp.REFUSALS.get(self.refused_code or "", sp.REFUSALS[p.REPLICA_AHEAD])[1]
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
        self._do(self._proto.connected(self.replica.last_seq, self.replica.last_hash))

    @Slot()
    def _on_disconnected(self) -> None:
        if self._closing:
            return
        # The peer's close code when one came; a connection that failed to open has none
        # worth reading (Qt reports 1000 or 1006), and both mean "try again".
        self._do(self._proto.closed(self._ws.closeCode().value))

    @Slot(str)
    def _on_text(self, text: str) -> None:
        self._do(self._proto.frame_received(text))

    # --- the hall's uploaded files ---------------------------------------------------------------

    @Slot()
    def fetch_files(self, *_: object) -> None:
        """Fetch the uploaded logos the config in force names that this station lacks."""
        if self.closed or self.hall_files is None:
            return
        names = hall_files.missing(self.hall_files, hall_files.named_logos(self.config))
        if not names:
            return
        if self._fetching:
            self._fetch_again = True  # the config changed meanwhile: look once more after
            return
        self._fetching = True
        folder, url, token, pin = self.hall_files, self.url, self.token, self.pin

        def work() -> None:
            report = hall_files.fetch_logos(url, token, pin, folder, names)
            self._files_fetched.emit(report)  # queued to the link's own thread

        threading.Thread(target=work, name="hall-files", daemon=True).start()

    @Slot(object)
    def _on_files_fetched(self, report: hall_files.FetchReport) -> None:
        self._fetching = False
        if self.closed:
            return
        if report.fetched:
            self.hall_files_changed.emit()
        if self._fetch_again:
            self._fetch_again = False
            self.fetch_files()
        elif report.failed:
            self._files_retry.start(max(1, round(self.files_retry_seconds * 1000)))

    def _welcomed(self, welcome: p.Welcome) -> None:
        self.tls_problem = None
        self.device = welcome.station or self.device
        self.replica.remember_station(welcome.station)
        if welcome.config_digest and welcome.config_digest != self.config.digest:
            log.warning("the hub's hall config changed since this station started; "
                        "restart the station to use it")
        self._set_online(True)
        self.fetch_files()

    def _refused(self, code: str, message: str) -> None:
        if code in (p.UNKNOWN_TOKEN, p.TOKEN_REVOKED):
            log.error("%s at %s; not reconnecting: %s", sp.REFUSALS[code][0], self.url,
                      TOKEN_FIX)
        else:
            log.error("%s (%s); not reconnecting", sp.REFUSALS[code][0], message)
        self.refused_reason = message
        self.refused_code = code
        if not self.is_online():
            self._reason_changed()
        # Online, the WentOffline that follows says it (with this reason already set).
