"""A kiosk's ticket printer: its address as people write it, and the settings it stands for.

The one place the printer-address grammar is defined. `antrean kiosk --printer ADDRESS`, the
printer check of `antrean doctor` and the guides all go through `printer_from_address`:

    net:192.168.10.21:9100     a network printer (also network: or tcp:; the port defaults to 9100)
    usb:04b8:0e15              a USB printer, vendor:product as lsusb shows them
    serial:/dev/ttyUSB0,19200  a serial port (or serial:COM3), baud rate 9600 unless given
    file:/dev/usb/lp0          a printer device file (Linux usblp)
    dummy                      no printer: tickets are shown on screen only

A bad address is refused with one line naming the accepted forms, never a traceback.
`printer_settings_from_mapping` is the validated constructor underneath (its fields are those of
`PrinterSettings`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from escpos.capabilities import CAPABILITIES, get_profile

from kiosk.ticket import PAPER_COLUMNS, PAPER_DOTS, PAPERS, Paper
from shared.config import ConfigError

PrinterKind = Literal["usb", "network", "serial", "file", "dummy"]
PRINTER_KINDS: tuple[PrinterKind, ...] = ("usb", "network", "serial", "file", "dummy")

_COMMON_FIELDS = ("kind", "paper", "profile", "qr_native", "status_check", "timeout")
_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "usb": ("vendor_id", "product_id", "interface", "in_ep", "out_ep"),
    "network": ("host", "port"),
    "serial": ("device", "baudrate"),
    "file": ("device",),
    "dummy": (),
}
_BAUDRATES = (9600, 19200, 38400, 57600, 115200)


@dataclass(frozen=True)
class PrinterSettings:
    kind: PrinterKind
    # 58 mm is the safe default: its layout also prints correctly on 80 mm paper, the reverse
    # does not.
    paper: Paper = "58mm"
    profile: str | None = None  # a python-escpos profile name; None = generic ESC/POS
    # Native QR (GS ( k) is crisp and small, but many cheap printers lack it; an image always works.
    qr_native: bool = False
    # Ask the printer for its status before each ticket, so a silent or paperless printer is
    # reported at once instead of swallowing the ticket. Turn off only for a printer (or print
    # server) that never answers status queries.
    status_check: bool = True
    timeout: float = 3.0  # seconds to wait for the printer before giving up
    # usb
    vendor_id: int | None = None
    product_id: int | None = None
    interface: int = 0
    in_ep: int = 0x82
    out_ep: int = 0x01
    # network
    host: str = ""
    port: int = 9100
    # serial and file
    device: str = ""
    baudrate: int = 9600

    @property
    def columns(self) -> int:
        return PAPER_COLUMNS[self.paper]

    def describe(self) -> str:
        """How IT staff recognise this printer in a log line or an alert."""
        if self.kind == "usb":
            return f"USB printer {self.vendor_id or 0:04x}:{self.product_id or 0:04x}"
        if self.kind == "network":
            return f"network printer {self.host}:{self.port}"
        if self.kind == "serial":
            return f"serial printer {self.device} at {self.baudrate} baud"
        if self.kind == "file":
            return f"printer device {self.device}"
        return "no printer (dummy)"


def _fail(source: str, path: str, key: str, problem: str) -> ConfigError:
    return ConfigError(source, f"{path}.{key}" if path else key, problem)


def _int(data: Mapping[str, Any], key: str, source: str, path: str, low: int, high: int,
         default: int | None, *, hex_text: bool = False) -> int | None:
    if key not in data:
        return default
    value = data[key]
    if hex_text and isinstance(value, str):
        # lsusb prints "ID 0416:5011"; accept "0416", "0x0416" as well as TOML's 0x0416.
        try:
            value = int(value.strip().lower().removeprefix("0x"), 16)
        except ValueError:
            raise _fail(source, path, key, f'"{data[key]}" is not a hexadecimal id such as '
                        '"04b8" or 0x04b8') from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(source, path, key, f"must be a whole number, not {type(value).__name__}")
    if not low <= value <= high:
        raise _fail(source, path, key, f"must be between {low} and {high}, not {value}")
    return value


def _text(data: Mapping[str, Any], key: str, source: str, path: str, default: str | None,
          ) -> str | None:
    if key not in data:
        if default is None:
            raise _fail(source, path, key, "is required")
        return default
    value = data[key]
    if not isinstance(value, str):
        raise _fail(source, path, key, f"must be text, not {type(value).__name__}")
    if not value.strip():
        raise _fail(source, path, key, "must not be empty")
    return value.strip()


def _bool(data: Mapping[str, Any], key: str, source: str, path: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise _fail(source, path, key, f"must be true or false, not {type(value).__name__}")
    return value


def printer_settings_from_mapping(
    data: Mapping[str, Any], source: str, path: str = "printer"
) -> PrinterSettings:
    """Validated settings from a table of PrinterSettings' fields (what `printer_from_address`
    builds); `path` is how its fields are named in errors."""
    if not isinstance(data, Mapping):
        raise ConfigError(source, path, "must be a table")
    kind = _text(data, "kind", source, path, None)
    if kind not in PRINTER_KINDS:
        raise _fail(source, path, "kind", f'must be one of {", ".join(PRINTER_KINDS)}, '
                    f'not "{kind}"')
    allowed = _COMMON_FIELDS + _KIND_FIELDS[kind]
    for key in data:
        if key not in allowed:
            raise _fail(source, path, key,
                        f'unknown field for a {kind} printer; use {", ".join(allowed)}')

    paper = _text(data, "paper", source, path, "58mm")
    if paper not in PAPERS:
        raise _fail(source, path, "paper", f'must be "58mm" or "80mm", not "{paper}"')

    profile: str | None = None
    if "profile" in data:
        profile = _text(data, "profile", source, path, None)
        if profile not in CAPABILITIES["profiles"]:
            raise _fail(source, path, "profile",
                        f'"{profile}" is not a python-escpos printer profile '
                        f'(known: {", ".join(sorted(CAPABILITIES["profiles"]))})')
    qr_native = _bool(data, "qr_native", source, path, False)
    if profile is not None:
        caps = get_profile(profile)
        pixels = caps.profile_data.get("media", {}).get("width", {}).get("pixels")
        # A head narrower than the layout would wrap every line and refuse the QR image.
        if isinstance(pixels, int) and pixels < PAPER_DOTS[paper]:
            raise _fail(source, path, "paper",
                        f'profile "{profile}" prints {pixels} dots a line but the {paper} '
                        f'ticket needs {PAPER_DOTS[paper]}; use paper = "58mm"')
        if qr_native and not caps.supports("qrCode"):
            raise _fail(source, path, "qr_native",
                        f'profile "{profile}" cannot print QR codes natively; '
                        "set qr_native = false")

    timeout_raw = data.get("timeout", 3.0)
    if isinstance(timeout_raw, bool) or not isinstance(timeout_raw, int | float):
        raise _fail(source, path, "timeout",
                    f"must be a number of seconds, not {type(timeout_raw).__name__}")
    if not 0.1 <= timeout_raw <= 60:
        raise _fail(source, path, "timeout",
                    f"must be between 0.1 and 60 seconds, not {timeout_raw}")

    common: dict[str, Any] = {
        "kind": kind,
        "paper": paper,
        "profile": profile,
        "qr_native": qr_native,
        "status_check": _bool(data, "status_check", source, path, True),
        "timeout": float(timeout_raw),
    }
    if kind == "usb":
        for key in ("vendor_id", "product_id"):
            if key not in data:
                raise _fail(source, path, key, "is required for a usb printer (see lsusb)")
        interface = _int(data, "interface", source, path, 0, 255, 0)
        if interface != 0:
            # python-escpos 3.1 always claims interface 0; pretending otherwise would fail later
            # with a baffling USB error.
            raise _fail(source, path, "interface",
                        "only interface 0 is supported by python-escpos 3.1")
        return PrinterSettings(
            **common,
            vendor_id=_int(data, "vendor_id", source, path, 1, 0xFFFF, None, hex_text=True),
            product_id=_int(data, "product_id", source, path, 1, 0xFFFF, None, hex_text=True),
            interface=0,
            in_ep=_int(data, "in_ep", source, path, 0x81, 0x8F, 0x82, hex_text=True) or 0x82,
            out_ep=_int(data, "out_ep", source, path, 0x01, 0x0F, 0x01, hex_text=True) or 0x01,
        )
    if kind == "network":
        return PrinterSettings(
            **common,
            host=_text(data, "host", source, path, None) or "",
            port=_int(data, "port", source, path, 1, 65535, 9100) or 9100,
        )
    if kind == "serial":
        baudrate = _int(data, "baudrate", source, path, 1, 4_000_000, 9600) or 9600
        if baudrate not in _BAUDRATES:
            raise _fail(source, path, "baudrate",
                        f"must be one of {', '.join(map(str, _BAUDRATES))}, not {baudrate}")
        return PrinterSettings(
            **common, device=_text(data, "device", source, path, None) or "", baudrate=baudrate
        )
    if kind == "file":
        return PrinterSettings(**common, device=_text(data, "device", source, path, None) or "")
    return PrinterSettings(**common)


# --- the printer address --------------------------------------------------------------------

PRINTER_ADDRESS_FORMS = (
    "net:HOST[:PORT] (or network: or tcp:; port 9100 unless given), usb:VENDOR:PRODUCT "
    "(as lsusb shows them), serial:DEVICE[,BAUD] (e.g. serial:/dev/ttyUSB0 or serial:COM3,19200), "
    "file:DEVICE (e.g. file:/dev/usb/lp0) or dummy (no printer)"
)
# Every spelling people reach for first; each names one kind of PrinterSettings.
_ADDRESS_KINDS: dict[str, PrinterKind] = {
    "net": "network", "network": "network", "tcp": "network",
    "usb": "usb", "serial": "serial", "file": "file", "dummy": "dummy",
}
_HEX_ID = re.compile(r"(?:0x)?([0-9a-f]{1,4})", re.IGNORECASE)


class PrinterAddressError(ConfigError):
    """A printer address that cannot be used: one line that says why and what is accepted."""

    def __init__(self, address: str, problem: str, source: str = "--printer") -> None:
        super().__init__(source, address, problem)

    def __str__(self) -> str:
        return f'{self.source} "{self.field_path}": {self.problem}; use {PRINTER_ADDRESS_FORMS}'


def printer_from_address(address: str, paper: str = "58mm", *, status_check: bool = True,
                         source: str = "--printer") -> PrinterSettings:
    """The settings a printer address stands for (see the module's docstring for the forms);
    raises PrinterAddressError naming the accepted forms. `paper` is "58mm" or "80mm"."""
    text = address.strip()
    scheme, colon, rest = text.partition(":")
    kind = _ADDRESS_KINDS.get(scheme.lower()) if colon or scheme.lower() == "dummy" else None

    def fail(problem: str) -> PrinterAddressError:
        return PrinterAddressError(address, problem, source)

    if kind is None:
        if not text:
            raise fail("is empty")
        if not colon and (text.startswith(("/", "\\")) or text.upper().startswith("COM")):
            raise fail("a device needs its kind in front, file: or serial:")
        raise fail(f'"{scheme}" is not a kind of printer' if colon else "is not a printer address")
    # tcp://host:9100 is how some people write it; the slashes say nothing more.
    rest = rest.removeprefix("//") if kind == "network" else rest
    table: dict[str, Any] = {"kind": kind, "paper": paper, "status_check": status_check}
    if kind == "dummy":
        if rest:
            raise fail("dummy takes no address")
    elif kind == "network":
        table.update(_network_address(rest, fail))
    elif kind == "usb":
        ids = rest.split(":")
        matches = [_HEX_ID.fullmatch(part) for part in ids]
        if len(ids) != 2 or not all(matches):
            raise fail("a USB printer is usb:VENDOR:PRODUCT with the hexadecimal ids lsusb "
                       "shows, e.g. usb:04b8:0e15")
        table["vendor_id"], table["product_id"] = (m[1] for m in matches if m)
    elif kind == "serial":
        device, comma, baud = rest.partition(",")
        if not device.strip():
            raise fail("a serial printer needs its port, e.g. serial:/dev/ttyUSB0 or serial:COM3")
        table["device"] = device.strip()
        if comma:
            if not baud.strip().isdigit():
                raise fail(f'"{baud}" is not a baud rate such as 9600 or 19200')
            table["baudrate"] = int(baud)
    else:  # file
        if not rest.strip():
            raise fail("a printer device file needs its path, e.g. file:/dev/usb/lp0")
        table["device"] = rest.strip()
    try:
        return printer_settings_from_mapping(table, source, "")
    except ConfigError as e:
        raise fail(f"{e.field_path} {e.problem}") from None


def _network_address(rest: str, fail: Callable[[str], PrinterAddressError]
                     ) -> dict[str, Any]:
    """HOST, HOST:PORT, [IPv6] or [IPv6]:PORT."""
    if rest.startswith("["):
        host, bracket, tail = rest[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            raise fail("an IPv6 address goes in brackets, e.g. net:[fd00::21]:9100")
        port = tail[1:] if tail else None
    elif rest.count(":") > 1:
        raise fail("an IPv6 address goes in brackets, e.g. net:[fd00::21]:9100")
    else:
        host, colon, tail = rest.partition(":")
        port = tail if colon else None
    host = host.strip()
    if not host or any(c.isspace() or c in "/\\@?#" for c in host):
        raise fail("a network printer is net:HOST or net:HOST:PORT, e.g. net:192.168.10.21:9100")
    found: dict[str, Any] = {"host": host}
    if port is not None:
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise fail(f'"{port}" is not a port number (1-65535)')
        found["port"] = int(port)
    return found
