"""`antrean doctor`: is this PC ready for its job in the hall?

Each check is a plain function that returns a CheckResult (OK, WARN, FAIL or SKIP, what was
found, and a fix IT staff can type). The checks touch the real thing (an HTTP request to the hub,
a TCP connection to the printer, the USB bus in sysfs, espeak-ng, the sound cards) with short
timeouts, so the doctor answers within seconds even when everything is down.

The printer check reads the --printer address with the kiosk's own grammar (so the doctor
accepts exactly what the kiosk accepts) and speaks the few bytes of ESC/POS it needs itself.
"""

from __future__ import annotations

import datetime as dt
import enum
import http.client
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shared import __version__
from shared.hub import tls

if TYPE_CHECKING:
    from kiosk.printing.settings import PrinterSettings

HUB_PORT = 8470
UDEV_RULES = "deploy/udev/99-antrean-printer.rules"


class Status(enum.StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"  # not asked for on this PC (no --printer, no hub address)


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        out = [f"{self.status.value:<5} {self.name:<8} {self.detail}"]
        if self.fix and self.status in (Status.WARN, Status.FAIL):
            out.append(f"{'':<14} Fix: {self.fix}")
        return out


def _ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name, Status.OK, detail)


# --- hall config ----------------------------------------------------------------------------


def check_config(path: str | Path | None) -> CheckResult:
    if path is None:
        return CheckResult("config", Status.SKIP, "no --config given")
    from shared.config import ConfigError, load_config

    try:
        cfg = load_config(path)
    except FileNotFoundError:
        return CheckResult("config", Status.FAIL, f"{path} does not exist",
                           "give the hall config's path, e.g. --config /etc/antrean/hall.toml")
    except ConfigError as e:
        return CheckResult("config", Status.FAIL, str(e),
                           f"correct the field named above, then run: antrean config check {path}")
    except OSError as e:
        return CheckResult("config", Status.FAIL, f"cannot read {path}: {e.strerror or e}",
                           f"make {path} readable by this user")
    return _ok("config", f"{cfg.mpp.name}: {len(cfg.agencies)} agencies, "
                         f"{len(cfg.services)} services, {len(cfg.counters)} counters")


# --- hub and clock --------------------------------------------------------------------------


@dataclass(frozen=True)
class HubHealth:
    url: str
    ok: bool
    last_seq: int
    version: str
    hub_time: dt.datetime | None
    # The local clock halfway through the request: the best guess of "now" when the hub
    # stamped its answer.
    local_time: dt.datetime
    round_trip_s: float
    # Over https: the fingerprint of the certificate the hub showed, and whether it was
    # checked against a pin (a station's ANTREAN_HUB_FINGERPRINT).
    tls_fingerprint: str = ""
    pinned: bool = False


def _is_loopback(url: str) -> bool:
    return tls.is_loopback(urllib.parse.urlsplit(url).hostname or "")


class HubError(Exception):
    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


def health_url(hub: str) -> str:
    """ws://10.0.0.5:8470, http://10.0.0.5:8470/, 10.0.0.5 or 10.0.0.5:8470 -> the health URL."""
    text = hub.strip()
    if "://" not in text:
        text = f"http://{text}"
    parts = urllib.parse.urlsplit(text)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https") or not parts.hostname:
        raise HubError(f"{hub!r} is not a hub address such as ws://192.168.1.10:{HUB_PORT}")
    netloc = parts.netloc if parts.port else f"{parts.netloc}:{HUB_PORT}"
    return urllib.parse.urlunsplit((scheme, netloc, "/health", "", ""))


MISMATCH_FIX = ("if the hub PC was reinstalled or its certificate replaced, put the new "
                "fingerprint ('antrean hub --ledger /var/lib/antrean/ledger.db fingerprint' on the "
                "hub PC) in every station.env; otherwise another PC is answering at this address: "
                "find it and unplug it")


def _get_https(url: str, pinned: str | None, timeout: float) -> tuple[bytes, str]:
    """GET over TLS; the certificate is checked against `pinned` before the request goes out."""
    try:
        reply = tls.pinned_get(url, pinned, timeout=timeout, limit=64 * 1024)
    except tls.FingerprintMismatch as e:
        raise HubError(str(e), MISMATCH_FIX) from None
    except (OSError, http.client.HTTPException) as e:
        if isinstance(e, TimeoutError):
            raise HubError(f"{url} did not answer within {timeout:g} s") from None
        raise HubError(f"cannot reach {url}: {getattr(e, 'strerror', None) or e}") from None
    if reply.status != 200:
        raise HubError(f"{url} answered HTTP {reply.status}")
    return reply.body, reply.peer_fingerprint


def _speaks_tls(url: str, timeout: float) -> bool:
    """Does the address answer Antrean's health page over TLS? (Only to explain a failure.)"""
    try:
        tls.pinned_get(url.replace("http://", "https://", 1), None, timeout=timeout)
    except (OSError, http.client.HTTPException, tls.TlsError):
        return False
    return True


def fetch_health(hub: str, timeout: float = 3.0, fingerprint: str | None = None,
                 for_station: bool = True) -> HubHealth:
    """The hub's /health. Over https with a `fingerprint`, the hub must show that certificate;
    without one the certificate is only reported (nothing secret is sent to /health). A plain
    address that finds a TLS hub fails for a station (its app would fail the same way); on
    the hub PC itself (`for_station=False`, loopback) the health is asked over TLS instead."""
    url = health_url(hub)
    before_wall, before = dt.datetime.now(dt.UTC), time.monotonic()
    seen = ""
    if url.startswith("https://"):
        body, seen = _get_https(url, fingerprint, timeout)
    else:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as reply:
                body = reply.read(64 * 1024)
        except urllib.error.HTTPError as e:
            raise HubError(f"{url} answered HTTP {e.code}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, TimeoutError):
                raise HubError(f"{url} did not answer within {timeout:g} s") from None
            if not isinstance(reason, ConnectionRefusedError) and _speaks_tls(url, timeout):
                tls_url = url.replace("http://", "https://", 1)
                if for_station or not _is_loopback(url):
                    raise HubError(
                        f"the hub at {url} speaks TLS only",
                        "put ANTREAN_HUB=wss://HUB:8470 and ANTREAN_HUB_FINGERPRINT=<its "
                        "fingerprint> in station.env (both printed by 'antrean hub ... enroll')"
                    ) from None
                # On the hub PC itself: loopback cannot be listened in on.
                url = tls_url
                body, seen = _get_https(url, fingerprint, timeout)
            else:
                raise HubError(
                    f"cannot reach {url}: {getattr(reason, 'strerror', None) or reason}"
                ) from None
    rtt = time.monotonic() - before
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except ValueError:
        raise HubError(f"{url} did not answer with Antrean's health JSON") from None
    hub_time: dt.datetime | None = None
    if isinstance(data.get("time"), str):
        try:
            hub_time = dt.datetime.fromisoformat(data["time"])
        except ValueError:
            hub_time = None
        if hub_time is not None and hub_time.tzinfo is None:
            hub_time = None  # a time without a zone cannot be compared
    return HubHealth(
        url=url, ok=data.get("ok") is True, last_seq=int(data.get("last_seq") or 0),
        version=str(data.get("version", "")), hub_time=hub_time,
        local_time=before_wall + dt.timedelta(seconds=rtt / 2), round_trip_s=rtt,
        tls_fingerprint=seen, pinned=bool(seen and fingerprint),
    )


def check_hub(hub: str | None, timeout: float = 3.0, expected_version: str = __version__,
              fingerprint: str | None = None, for_station: bool = True,
              ) -> tuple[CheckResult, HubHealth | None]:
    """Whether this PC reaches a healthy hub of its own version. `for_station`: judged as the
    station apps judge their hub address (wss:// needs a fingerprint, a fingerprint needs
    wss://, a plain address that finds a TLS hub fails), so doctor never says OK where the
    app refuses to start or cannot connect. On the hub PC (`for_station=False`) it only asks
    the local hub whether it is up."""
    if not hub:
        return CheckResult("hub", Status.SKIP, "no hub address (--hub or ANTREAN_HUB)"), None
    pin: str | None = None
    if fingerprint:
        try:
            pin = tls.parse_fingerprint(fingerprint)
        except tls.TlsError as e:
            return CheckResult("hub", Status.FAIL, str(e),
                               "copy ANTREAN_HUB_FINGERPRINT again from the enroll output"), None
    if for_station:
        try:
            tls.station_pin(hub, fingerprint)
        except tls.TlsError as e:
            fix = ("put ANTREAN_HUB_FINGERPRINT (printed by 'antrean hub ... enroll'; again by "
                   "'antrean hub --ledger /var/lib/antrean/ledger.db fingerprint' on the hub "
                   "PC) in station.env" if pin is None else
                   "use ANTREAN_HUB=wss://HUB:8470 with that fingerprint (or drop the "
                   "fingerprint if the hub really runs without --tls)")
            return CheckResult("hub", Status.FAIL, str(e), fix), None
    try:
        health = fetch_health(hub, timeout, pin, for_station)
    except HubError as e:
        return CheckResult(
            "hub", Status.FAIL, str(e),
            e.fix or "check the address in /etc/antrean/station.env, the network cable, and on "
            "the hub PC: systemctl status antrean-hub (port 8470/tcp must be open)"), None
    if not health.ok:
        return CheckResult("hub", Status.FAIL, f"{health.url} says it is not healthy",
                           "on the hub PC: journalctl -u antrean-hub -n 50"), health
    if health.version != expected_version:
        ours, theirs = expected_version.split(".")[:2], health.version.split(".")[:2]
        same_series = ours == theirs
        return CheckResult(
            "hub", Status.WARN if same_series else Status.FAIL,
            f"hub runs Antrean {health.version or '(unknown)'}, this PC {expected_version}",
            "install the same Antrean version on every PC (deploy/install-station.sh)",
        ), health
    detail = (f"{health.url}: Antrean {health.version}, {health.last_seq} events, "
              f"answered in {health.round_trip_s * 1000:.0f} ms")
    if health.pinned:
        return _ok("hub", f"{detail}; its certificate is the pinned one"), health
    if health.tls_fingerprint:
        detail += f"; TLS certificate SHA-256 {health.tls_fingerprint}"
        if _is_loopback(health.url):
            return _ok("hub", detail), health
        return CheckResult(
            "hub", Status.WARN, f"{detail}, not checked against a pinned fingerprint",
            "put ANTREAN_HUB_FINGERPRINT (printed by 'antrean hub ... enroll') in station.env; "
            "stations refuse a wss:// hub without it"), health
    if pin is not None:
        return CheckResult("hub", Status.FAIL, f"{detail}, but a fingerprint was given for a "
                           "hub address that is not encrypted",
                           "use ANTREAN_HUB=wss://HUB:8470 with that fingerprint"), health
    if not _is_loopback(health.url):
        return CheckResult(
            "hub", Status.WARN, f"{detail}; the link is not encrypted (ws://): station tokens "
            "and officers' PINs cross the LAN in clear text",
            "run the hub with --tls and give stations ANTREAN_HUB=wss://HUB:8470 and "
            "ANTREAN_HUB_FINGERPRINT (docs/install-id.md)"), health
    return _ok("hub", detail), health


# The token roles that can do each station's job; "admin" can do everything (a warning: a PC
# should hold the least its job needs). A display only reads, so any role works for it.
JOB_ROLES = {"kiosk": ("kiosk",), "counter": ("counter",), "display": ("display",)}


def fetch_station(health: HubHealth, token: str, timeout: float = 3.0) -> tuple[int, bytes]:
    """GET /station with the token, on the address (and pinned certificate) that answered
    /health. Returns the HTTP status and body."""
    url = health.url.removesuffix("/health") + "/station"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        if url.startswith("https://"):
            pin = health.tls_fingerprint if health.pinned or _is_loopback(url) else None
            if pin is None:
                raise HubError("the hub's certificate was not checked against a pin; not "
                               "sending the token")
            reply = tls.pinned_get(url, pin, headers, timeout, limit=64 * 1024)
            return reply.status, reply.body
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return int(r.status), bytes(r.read(64 * 1024))
    except urllib.error.HTTPError as e:
        return e.code, e.read(64 * 1024)
    except (OSError, http.client.HTTPException, tls.TlsError) as e:
        raise HubError(f"cannot ask {url}: {getattr(e, 'strerror', None) or e}") from None


def check_token(health: HubHealth | None, token: str | None, job: str | None,
                counter: int | None = None, timeout: float = 3.0) -> CheckResult:
    """Whether the hub accepts this station's token, and for a role that can do this PC's
    job (and, for a counter PC started with --counter N, at that counter)."""
    name = "token"
    if job == "hub":
        return CheckResult(name, Status.SKIP, "not needed on the hub PC")
    if not token:
        if job is None:
            return CheckResult(name, Status.SKIP, "no token (--token or ANTREAN_TOKEN)")
        return CheckResult(name, Status.FAIL, "this station has no token",
                           "put the ANTREAN_TOKEN printed by 'antrean hub ... enroll' in "
                           "/etc/antrean/station.env")
    if health is None:
        return CheckResult(name, Status.SKIP, "no answer from the hub to check it with")
    role_hint = job or "ROLE"
    enroll = (f"on the hub PC: antrean hub --ledger /var/lib/antrean/ledger.db enroll --role "
              f"{role_hint} --name NAME, then put the new ANTREAN_TOKEN in station.env")
    try:
        status, body = fetch_station(health, token, timeout)
    except HubError as e:
        return CheckResult(name, Status.FAIL, str(e), "run antrean doctor again")
    if status == 401:
        revoked = b"revoked" in body
        why = "it was revoked or replaced" if revoked else "it is not enrolled there"
        return CheckResult(name, Status.FAIL, f"the hub refused this station's token ({why})",
                           enroll)
    if status == 404:
        return CheckResult(name, Status.WARN, "the hub is too old to check tokens",
                           "install the same Antrean version on every PC")
    try:
        info = json.loads(body)
        station, role = str(info["station"]), str(info["role"])
        bound = info.get("counter")
    except (ValueError, KeyError, TypeError):
        return CheckResult(name, Status.FAIL, f"the hub answered /station with HTTP {status}",
                           "on the hub PC: journalctl -u antrean-hub -n 50")
    detail = f"the hub knows this token as station {station} ({role}"
    detail += f", bound to counter {bound})" if bound is not None else ")"
    if job is None:
        return _ok(name, detail)
    if role == "admin":
        return CheckResult(name, Status.WARN, f"{detail}: an admin token may do anything",
                           f"give this {job} PC its own token ({enroll})")
    if role not in JOB_ROLES[job]:
        bad = Status.WARN if job == "display" else Status.FAIL
        return CheckResult(name, bad, f"{detail}, but this PC is a {job}", enroll)
    if job == "counter" and bound is not None and counter is not None and counter != bound:
        return CheckResult(name, Status.FAIL, f"{detail}, but the app runs with --counter "
                           f"{counter}", f"use --counter {bound} in ANTREAN_ARGS, or enroll "
                           f"the station again with --counter {counter}")
    return _ok(name, detail)


# A board judges calls on the hub's time (learnt at the welcome), but it starts on its own clock
# and its sound, screen and logs follow it: beyond the default freshness window (2 minutes) a
# display's clock is a fault, not a nuisance.
DISPLAY_MAX_SKEW_S = 120.0


def check_clock(health: HubHealth | None, max_skew_s: float = 30.0,
                role: str | None = None) -> CheckResult:
    """WARN beyond `max_skew_s`; on a display FAIL beyond DISPLAY_MAX_SKEW_S."""
    if health is None:
        return CheckResult("clock", Status.SKIP, "no answer from the hub to compare with")
    if health.hub_time is None:
        return CheckResult("clock", Status.WARN, "the hub did not say its time",
                           "upgrade the hub to this version of Antrean")
    skew = (health.local_time - health.hub_time).total_seconds()
    where = "ahead of" if skew > 0 else "behind"
    detail = f"this PC is {abs(skew):.1f} s {where} the hub"
    if role == "display" and abs(skew) > DISPLAY_MAX_SKEW_S:
        return CheckResult("clock", Status.FAIL,
                           f"{detail} (a display may differ by {DISPLAY_MAX_SKEW_S:.0f} s at most)",
                           "timedatectl set-ntp true, with the hub PC as this board's time "
                           "server (see docs/install-id.md), then check again")
    if abs(skew) > max_skew_s:
        return CheckResult("clock", Status.WARN, detail,
                           "timedatectl set-ntp true (and let stations use the hub PC as their "
                           "time server when the hall has no internet; see docs/install-id.md)")
    return _ok("clock", detail)


# --- screen ---------------------------------------------------------------------------------


def check_qt_platform(env: dict[str, str] | None = None, timeout: float = 30.0) -> CheckResult:
    """Whether Qt's platform plugin loads here (what the apps ask before their first window):
    opened for real where this session has a display, else its libraries checked with ldd."""
    from shared.station import qt_platform

    report = qt_platform.check(env, timeout)
    if report.ok:
        return _ok("screen", report.detail)
    return CheckResult("screen", Status.FAIL, report.detail, report.fix)


# --- printer --------------------------------------------------------------------------------


def printer_from_address(address: str) -> PrinterSettings:
    """The kiosk's own reading of a --printer address, so the doctor accepts exactly what
    `antrean kiosk --printer` accepts; raises ValueError (the kiosk's PrinterAddressError)
    with one line naming the accepted forms. Imported here, not at the top: only a kiosk's
    doctor needs the printing library."""
    from kiosk.printing.settings import printer_from_address as kiosk_reading

    return kiosk_reading(address)


# DLE EOT 4: "transmit the roll paper sensor status" (Epson ESC/POS). The reply byte always has
# bits 1 and 4 set and bits 0 and 7 clear; bits 2-3 say "paper near its end", bits 5-6 "out".
PAPER_STATUS_QUERY = b"\x10\x04\x04"
_FIXED_MASK, _FIXED_BITS = 0b1001_0011, 0b0001_0010
_NEAR_END, _PAPER_END = 0b0000_1100, 0b0110_0000


def paper_status(reply: bytes) -> CheckResult:
    name = "printer"
    if not reply:
        return CheckResult(name, Status.WARN, "paper status unknown: the printer sent nothing",
                           "check the printer's display or lights; some print servers never "
                           "answer status queries")
    b = reply[-1]
    if b & _FIXED_MASK != _FIXED_BITS:
        return CheckResult(name, Status.WARN, f"paper status unknown: unexpected reply 0x{b:02x}",
                           "is this an ESC/POS receipt printer? check the address and port")
    if b & _PAPER_END:
        return CheckResult(name, Status.FAIL, "the printer is out of paper",
                           "load a new paper roll and close the cover")
    if b & _NEAR_END:
        return CheckResult(name, Status.WARN, "the paper roll is nearly finished",
                           "put a new roll ready beside the kiosk")
    return _ok(name, "paper loaded")


def _check_network_printer(p: PrinterSettings, timeout: float) -> CheckResult:
    what = p.describe()
    try:
        sock = socket.create_connection((p.host, p.port), timeout=timeout)
    except TimeoutError:
        return CheckResult("printer", Status.FAIL, f"{what} did not answer within {timeout:g} s",
                           "is the printer on and on this network? print its self-test page "
                           "(hold FEED while switching on) to see its address")
    except OSError as e:
        return CheckResult("printer", Status.FAIL,
                           f"cannot connect to {what}: {e.strerror or e}",
                           "switch the printer on, check its cable and its address (self-test "
                           "page)")
    with sock:
        try:
            sock.sendall(PAPER_STATUS_QUERY)
            sock.settimeout(timeout)
            reply = sock.recv(16)
        except TimeoutError:
            return CheckResult("printer", Status.WARN,
                               f"{what} is reachable but its paper status is unknown (no answer "
                               f"within {timeout:g} s)",
                               "check the paper by eye; some printers and print servers never "
                               "answer status queries (start such a kiosk with "
                               "--no-printer-status)")
        except OSError as e:
            return CheckResult("printer", Status.WARN,
                               f"{what} is reachable but dropped the status query: {e}",
                               "check the paper by eye")
    result = paper_status(reply)
    return CheckResult("printer", result.status, f"{what}: {result.detail}", result.fix)


def _check_usb_printer(p: PrinterSettings, sysfs: Path, dev_root: Path) -> CheckResult:
    what = p.describe()
    if not sysfs.is_dir():
        return CheckResult("printer", Status.WARN, f"cannot look for the {what}: no {sysfs}",
                           "check that the printer is listed by: lsusb")
    for dev in sorted(sysfs.iterdir()):
        try:
            vid = int((dev / "idVendor").read_text().strip(), 16)
            pid = int((dev / "idProduct").read_text().strip(), 16)
        except (OSError, ValueError):
            continue  # interfaces and hubs without ids
        if (vid, pid) != (p.vendor_id, p.product_id):
            continue
        try:
            bus = int((dev / "busnum").read_text())
            num = int((dev / "devnum").read_text())
        except (OSError, ValueError):
            return _ok("printer", f"{what} is plugged in ({dev.name})")
        node = dev_root / f"{bus:03d}" / f"{num:03d}"
        if not os.access(node, os.R_OK | os.W_OK):
            return CheckResult("printer", Status.FAIL,
                               f"{what} is plugged in but this user may not use {node}",
                               f"install {UDEV_RULES} (deploy/install-station.sh does), add the "
                               "user to group lp, then unplug and plug the printer")
        return _ok("printer", f"{what} is plugged in and usable ({node}); its paper status is "
                              "reported by the kiosk")
    return CheckResult("printer", Status.FAIL, f"{what} is not on the USB bus",
                       "plug the printer in and switch it on; lsusb must list it")


def _check_device_printer(p: PrinterSettings) -> CheckResult:
    what = p.describe()
    if re.fullmatch(r"COM\d+", p.device, re.IGNORECASE):
        return CheckResult("printer", Status.SKIP, f"{what}: COM ports are not checked here")
    if not os.path.exists(p.device):
        return CheckResult("printer", Status.FAIL, f"{what} does not exist",
                           "plug the printer in and switch it on, or correct the device path")
    if not os.access(p.device, os.W_OK):
        fix = ("add the user to group dialout" if p.kind == "serial"
               else f"add the user to group lp (and install {UDEV_RULES})")
        return CheckResult("printer", Status.FAIL, f"this user may not write to {p.device}", fix)
    return _ok("printer", f"{what} is present and writable")


def check_printer(spec: str | None, timeout: float = 2.0,
                  sysfs: Path = Path("/sys/bus/usb/devices"),
                  dev_root: Path = Path("/dev/bus/usb")) -> CheckResult:
    if not spec:
        return CheckResult("printer", Status.SKIP, "no --printer given")
    try:
        p = printer_from_address(spec)
    except ValueError as e:
        return CheckResult("printer", Status.FAIL, str(e), "correct --printer")
    if p.kind == "network":
        return _check_network_printer(p, timeout)
    if p.kind == "usb":
        return _check_usb_printer(p, sysfs, dev_root)
    if p.kind == "dummy":
        return CheckResult("printer", Status.WARN, "--printer dummy: this kiosk prints no tickets "
                           "(numbers are shown on screen only)",
                           "give the kiosk its printer, e.g. --printer net:192.168.10.21:9100 or "
                           "--printer usb:04b8:0e15")
    return _check_device_printer(p)


# --- voice and sound ------------------------------------------------------------------------


def _run(cmd: list[str], timeout: float, env: dict[str, str] | None = None,
         ) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def indonesian_espeak_voices(listing: str) -> list[str]:
    """Voice names from `espeak-ng --voices=id` whose language is exactly id."""
    names = []
    for line in listing.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 4 and cols[1] == "id":
            names.append(cols[3])
    return names


def check_voice(required: bool = True, platform: str = sys.platform) -> CheckResult:
    bad = Status.FAIL if required else Status.WARN
    if platform == "win32":
        return _check_sapi_voice(bad)
    exe = shutil.which("espeak-ng")
    if exe is None:
        return CheckResult("voice", bad, "espeak-ng is not installed",
                           "apt-get install espeak-ng")
    done = _run([exe, "--voices=id"], timeout=5.0)
    if done is None or done.returncode != 0:
        return CheckResult("voice", bad, "espeak-ng does not run",
                           "apt-get install --reinstall espeak-ng espeak-ng-data")
    voices = indonesian_espeak_voices(done.stdout)
    if not voices:
        return CheckResult("voice", bad, "espeak-ng has no Indonesian (id) voice",
                           "apt-get install espeak-ng-data")
    return _ok("voice", f"espeak-ng speaks Indonesian ({', '.join(voices)})")


def _check_sapi_voice(bad: Status) -> CheckResult:
    # Only reports: pyttsx3's SAPI5 driver lists the voices Windows has installed. Run in a
    # child process because a broken SAPI install can hang the COM call.
    probe = ("import pyttsx3\n"
             "e = pyttsx3.init()\n"
             "for v in e.getProperty('voices'):\n"
             "    print(v.id, '|', v.name, '|', ' '.join(map(str, v.languages or [])))\n")
    done = _run([sys.executable, "-c", probe], timeout=15.0)
    if done is None or done.returncode != 0:
        return CheckResult("voice", bad, "cannot list the Windows (SAPI5) voices",
                           "reinstall Antrean's environment (pyttsx3 needs comtypes on Windows)")
    lines = [ln for ln in done.stdout.splitlines() if ln.strip()]
    hits = [ln for ln in lines if re.search(r"indonesia|\bid[-_]id\b|\bid\b", ln, re.I)]
    if not hits:
        return CheckResult("voice", bad, f"no Indonesian voice among {len(lines)} SAPI5 voices",
                           "Settings > Time & language > Speech > Add voices > Bahasa Indonesia "
                           "(see docs/windows.md)")
    return _ok("voice", f"Indonesian SAPI5 voice: {hits[0].split('|')[1].strip()}")


_QT_AUDIO_PROBE = (
    "from PySide6.QtCore import QCoreApplication\n"
    "from PySide6.QtMultimedia import QMediaDevices\n"
    "app = QCoreApplication([])\n"
    "for d in QMediaDevices.audioOutputs():\n"
    "    print(d.description())\n"
)


def alsa_cards(text: str) -> list[str]:
    """Card names from /proc/asound/cards ("--- no soundcards ---" gives none)."""
    return [m[1].strip() for m in re.finditer(r"^\s*\d+\s+\[[^\]]*\]:\s*(.+)$", text, re.M)]


def check_audio(required: bool = True, qt_timeout: float = 15.0,
                asound: Path = Path("/proc/asound/cards")) -> CheckResult:
    """What Qt Multimedia (which plays the announcements) sees, with the kernel's sound cards
    as a hint when Qt sees nothing."""
    bad = Status.FAIL if required else Status.WARN
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_LOGGING_RULES": "*=false"}
    done = _run([sys.executable, "-c", _QT_AUDIO_PROBE], timeout=qt_timeout, env=env)
    outputs = ([ln.strip() for ln in done.stdout.splitlines() if ln.strip()]
               if done is not None and done.returncode == 0 else None)
    if outputs:
        return _ok("audio", f"{len(outputs)} audio output(s): {', '.join(outputs[:3])}")
    try:
        cards = alsa_cards(asound.read_text())
    except OSError:
        cards = []
    if outputs is None:
        detail = "Qt Multimedia could not list audio outputs"
    else:
        detail = "Qt Multimedia sees no audio output"
    if cards:
        return CheckResult("audio", bad, f"{detail}, though the kernel has {', '.join(cards)}",
                           "apt-get install pipewire-pulse wireplumber, and run the display in "
                           "the antrean user's session (antrean-cage@display.service does)")
    return CheckResult("audio", bad, f"{detail} and the kernel has no sound card",
                       "plug in the speakers' USB sound card or enable on-board audio in the "
                       "BIOS")


# --- disk -----------------------------------------------------------------------------------

_NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "davfs",
               "fuse.rclone", "afs"}


def _mount_fstype(path: Path, mounts: Path = Path("/proc/mounts")) -> str | None:
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return None
    best, fstype = "", None
    target = str(path)
    for line in lines:
        cols = line.split()
        if len(cols) < 3:
            continue
        point = cols[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, fstype = point, cols[2]
    return fstype


def check_disk(path: str | Path, warn_mb: int = 2000, fail_mb: int = 200,
               mounts: Path = Path("/proc/mounts")) -> CheckResult:
    """Room and write access for the ledger or replica at `path`, on a local disk."""
    target = Path(path).expanduser().absolute()
    folder = target if target.is_dir() else target.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not os.access(existing, os.W_OK):
        return CheckResult("disk", Status.FAIL, f"this user cannot write to {existing}",
                           f"chown antrean: {existing} (the install scripts do)")
    fstype = _mount_fstype(existing, mounts)
    if fstype in _NETWORK_FS:
        return CheckResult("disk", Status.FAIL,
                           f"{existing} is on a network filesystem ({fstype})",
                           "keep the ledger on a local disk: SQLite's WAL does not work over a "
                           "network share")
    free_mb = shutil.disk_usage(existing).free // (1024 * 1024)
    detail = f"{free_mb:,} MB free for {target}"
    if free_mb < fail_mb:
        return CheckResult("disk", Status.FAIL, detail, "free disk space (journalctl "
                           "--vacuum-size=200M, apt-get clean, old backups)")
    if free_mb < warn_mb:
        return CheckResult("disk", Status.WARN, detail, "free disk space soon")
    return _ok("disk", detail)


# --- station settings -----------------------------------------------------------------------


def read_station_env(path: str | Path) -> dict[str, str]:
    """NAME=value lines of /etc/antrean/station.env, as systemd's EnvironmentFile reads them
    (comments and blank lines skipped, optional quotes around the value removed)."""
    values: dict[str, str] = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def option_value(arguments: str, option: str) -> str | None:
    """The value of `--option VALUE` or `--option=VALUE` in an app's argument string."""
    try:
        words = shlex.split(arguments)
    except ValueError:
        return None
    for i, word in enumerate(words):
        if word == option and i + 1 < len(words):
            return words[i + 1]
        if word.startswith(option + "="):
            return word.split("=", 1)[1]
    return None


# --- all together ---------------------------------------------------------------------------

ROLES = ("hub", "kiosk", "counter", "display")


def default_data_path() -> Path:
    """Where stations keep their replica unless told otherwise."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "antrean"
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "antrean"


def run_checks(*, role: str | None, config: str | None, hub: str | None,
               printer: str | None, data_path: str | Path, check_sound: bool | None = None,
               hub_fingerprint: str | None = None, token: str | None = None,
               counter: int | None = None, check_screen: bool | None = None,
               ) -> list[CheckResult]:
    """The checks this PC's role needs. Without a role everything is checked, and a missing
    voice or speaker is only a warning (it matters on the display PC alone). The hub's
    certificate is checked against `hub_fingerprint`, or ANTREAN_HUB_FINGERPRINT when unset
    (as the station apps read it)."""
    results = [check_config(config)]
    pin = hub_fingerprint or os.environ.get(tls.FINGERPRINT_ENV)
    hub_result, health = check_hub(hub, fingerprint=pin, for_station=role != "hub")
    results += [hub_result, check_token(health, token, role, counter),
                check_clock(health, role=role)]
    screen = check_screen if check_screen is not None else role != "hub"
    if screen:
        results.append(check_qt_platform())
    else:
        results.append(CheckResult("screen", Status.SKIP, "not needed on the hub PC"))
    if role in (None, "kiosk"):
        results.append(check_printer(printer))
    else:
        results.append(CheckResult("printer", Status.SKIP, f"not needed on a {role} PC"))
    sound = check_sound if check_sound is not None else role in (None, "display")
    if sound:
        required = role == "display"
        results += [check_voice(required), check_audio(required)]
    results.append(check_disk(data_path))
    return results


def worst(results: list[CheckResult]) -> Status:
    statuses = {r.status for r in results}
    for s in (Status.FAIL, Status.WARN):
        if s in statuses:
            return s
    return Status.OK
