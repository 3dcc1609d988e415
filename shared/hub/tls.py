"""TLS on the hall LAN: the hub's own certificate, and stations pinning it.

The hall LAN is not trusted (public Wi-Fi is near), so station tokens and officers' PINs must not
cross it in clear text, and a fake hub must not be able to pose as the real one. There is no
certificate authority in a hall and no internet to ask one, so the hub makes itself one
self-signed certificate, once, beside its ledger, and each station is given that certificate's
SHA-256 fingerprint when it is enrolled. A station accepts exactly that certificate and nothing
else, and checks it before it sends a single byte of its own (its token, a PIN).

Qt-free: the hub, HubClient, the doctor and HubLink's HTTP config fetch all use it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import ipaddress
import os
import re
import ssl
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from shared.ledger.files import private_dir

CERT_FILE = "hub-tls.crt"
KEY_FILE = "hub-tls.key"
CERT_MODE = 0o644
# Long-lived on purpose: every station pins this exact certificate, so replacing it means
# visiting every PC in the hall. Nothing else relies on its dates.
VALID_DAYS = 20 * 365
MISMATCH = "hub certificate does not match the pinned fingerprint"
FINGERPRINT_ENV = "ANTREAN_HUB_FINGERPRINT"


class TlsError(Exception):
    pass


class FingerprintMismatch(TlsError):
    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f"{MISMATCH} (expected {expected[:16]}…, the hub showed {got[:16]}…)")
        self.expected = expected
        self.got = got


# --- the hub's certificate ------------------------------------------------------------------


def default_paths(ledger: str | Path) -> tuple[Path, Path]:
    """The certificate and key beside the ledger (and hub-auth.db)."""
    ledger = Path(ledger)
    return ledger.with_name(CERT_FILE), ledger.with_name(KEY_FILE)


def ensure_certificate(cert: Path, key: Path, common_name: str = "Antrean hub") -> bool:
    """Create the hub's self-signed certificate and its private key unless they exist already.
    Returns True when it made them. A lone certificate or a lone key is an error, never
    overwritten: replacing the pair would lock out every station that pinned it."""
    if cert.exists() and key.exists():
        return False
    if cert.exists() or key.exists():
        have, lack = (cert, key) if cert.exists() else (key, cert)
        raise TlsError(f"{have} exists but {lack} does not; restore {lack} from the backup, "
                       f"or move {have} away to make a new pair (then every station needs the "
                       f"new fingerprint)")
    # Imported here: only the hub (and enroll) make certificates; stations never need it.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))  # a station whose clock runs behind
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("antrean-hub")]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    key_pem = private.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    private_dir(key.parent)
    # The key is born 0600 (never readable by others, not even for a moment) and both files
    # appear whole or not at all: a hub killed halfway must not leave half a pair behind.
    partial_key = key.with_name(key.name + ".new")
    partial_key.unlink(missing_ok=True)
    fd = os.open(partial_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        if os.name == "posix":
            os.fchmod(f.fileno(), 0o600)  # the umask could only take bits away; be exact
        f.write(key_pem)
        f.flush()
        os.fsync(f.fileno())
    partial_cert = cert.with_name(cert.name + ".new")
    # Public, but writable by nobody else: a umask of 000 must not let anyone swap it.
    partial_cert.unlink(missing_ok=True)
    fd = os.open(partial_cert, os.O_WRONLY | os.O_CREAT | os.O_EXCL, CERT_MODE)
    with os.fdopen(fd, "wb") as f:
        if os.name == "posix":
            os.fchmod(f.fileno(), CERT_MODE)
        f.write(certificate.public_bytes(serialization.Encoding.PEM))
    partial_key.replace(key)
    partial_cert.replace(cert)
    return True


def certificate_der(cert: Path) -> bytes:
    try:
        pem = cert.read_text(encoding="ascii")
    except OSError as e:
        raise TlsError(f"cannot read the hub certificate {cert}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise TlsError(f"{cert} is not a PEM certificate") from None
    try:
        return ssl.PEM_cert_to_DER_cert(pem)
    except ValueError:
        raise TlsError(f"{cert} is not a PEM certificate") from None


def fingerprint(der: bytes) -> str:
    """SHA-256 of the certificate (DER), 64 lowercase hex digits: what stations pin."""
    return hashlib.sha256(der).hexdigest()


def certificate_fingerprint(cert: Path) -> str:
    return fingerprint(certificate_der(cert))


_SEPARATORS = re.compile(r"[\s:]")


def parse_fingerprint(text: str) -> str:
    """Accepts the hex as printed by enroll, with colons (as browsers and openssl print it),
    any case, optionally after 'sha256:' or 'SHA256 Fingerprint='."""
    value = text.strip()
    for prefix in ("sha256 fingerprint=", "sha256:", "sha256="):
        if value.lower().startswith(prefix):
            value = value[len(prefix):]
    value = _SEPARATORS.sub("", value).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise TlsError(f"{text.strip()[:80]!r} is not a SHA-256 fingerprint (64 hex digits, as "
                       f"printed by 'antrean hub ... enroll')")
    return value


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
    except PermissionError as e:
        raise TlsError(f"cannot read {e.filename}: permission denied (it must belong to the "
                       f"user the hub runs as, e.g. chown antrean: {e.filename})") from None
    except OSError as e:
        raise TlsError(f"cannot use {cert} and {key}: {e.strerror or e}") from None
    except ssl.SSLError as e:
        raise TlsError(f"cannot use {cert} and {key} (not a matching PEM certificate and "
                       f"key?): {e.reason or e}") from None
    return ctx


# --- stations: pinning --------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """This PC only: nobody on the LAN can read a link to it, encrypted or not."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_tls_url(url: str) -> bool:
    return urllib.parse.urlsplit(url.strip()).scheme in ("wss", "https")


def client_context() -> ssl.SSLContext:
    """No certificate authority is asked: the pin is the only trust, checked by `check_peer`
    on every connection before anything is sent. A context without the pin check is never
    used for a station's traffic."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def check_peer(der: bytes | None, pinned: str) -> None:
    """Raise FingerprintMismatch unless the peer's certificate is the pinned one."""
    got = fingerprint(der) if der else "(none)"
    if got != pinned:
        raise FingerprintMismatch(pinned, got)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection that checks the peer's certificate right after the handshake, in
    connect(), so a mismatch closes the socket before the request (its Authorization header)
    is written."""

    def __init__(self, host: str, port: int | None, pinned: str | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=client_context())
        self.pinned = pinned
        self.peer_fingerprint = ""

    def connect(self) -> None:
        super().connect()
        assert isinstance(self.sock, ssl.SSLSocket)
        der = self.sock.getpeercert(binary_form=True)
        self.peer_fingerprint = fingerprint(der) if der else ""
        if self.pinned is not None:
            try:
                check_peer(der, self.pinned)
            except FingerprintMismatch:
                self.close()
                raise


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    peer_fingerprint: str


def pinned_get(url: str, pinned: str | None, headers: dict[str, str] | None = None,
               timeout: float = 3.0, limit: int = 4 * 1024 * 1024) -> Reply:
    """GET an https:// URL from the hub, accepting only the pinned certificate.

    `pinned=None` skips the check and only reports the fingerprint seen: for `antrean doctor`
    showing IT staff what a hub presents, never for anything that carries a token or a PIN."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise TlsError(f"{url} is not an https:// address")
    conn = _PinnedHTTPSConnection(parts.hostname, parts.port, pinned, timeout)
    try:
        path = parts.path or "/"
        conn.request("GET", f"{path}?{parts.query}" if parts.query else path,
                     headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.read(limit), conn.peer_fingerprint)
    finally:
        conn.close()


def station_pin(hub_url: str, pinned: str | None) -> str | None:
    """The pin a station uses for `hub_url`, after checking the two fit together: a wss://
    hub needs a fingerprint (without one the station would have to trust whoever answers),
    and a fingerprint beside a ws:// address is a sign of a mistake (the admin believes the
    link is protected, but nothing is encrypted)."""
    if is_tls_url(hub_url):
        if not pinned or not pinned.strip():
            raise TlsError(f"the hub address {hub_url} is wss:// but no certificate fingerprint "
                           f"was given (--hub-fingerprint or {FINGERPRINT_ENV}, printed by "
                           f"'antrean hub ... enroll')")
        return parse_fingerprint(pinned)
    if pinned and pinned.strip():
        raise TlsError(f"a hub fingerprint was given but the hub address {hub_url} is not "
                       f"wss://; use wss://HUB:8470 so the link is encrypted")
    return None
