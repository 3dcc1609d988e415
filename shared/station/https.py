"""HTTPS served by a station itself (`antrean web`, `antrean console` with `--tls-cert FILE
--tls-key FILE`): the hall's certificate and its key, loaded once before anything else opens,
and whether a request reached us over HTTPS (directly, or through the one reverse proxy the
station was told to trust).

The pair is the hall's own (a certificate the agencies' laptops trust, or one IT made and
installed on them), not the hub's pinned one: browsers, not stations, check it. Qt-free.
"""

from __future__ import annotations

import argparse
import ipaddress
import ssl
from collections.abc import Mapping
from pathlib import Path

from shared.config import SettingsError

__all__ = ["add_arguments", "check", "client_address", "forwarded_https", "server_context"]


def add_arguments(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--tls-cert", metavar="FILE", type=Path, default=None,
                   help=f"serve {what} over HTTPS with this PEM certificate (the chain, the "
                        f"hall's certificate first); with --tls-key (default: plain HTTP)")
    p.add_argument("--tls-key", metavar="FILE", type=Path, default=None,
                   help="the unencrypted PEM private key of --tls-cert, readable only by the "
                        "user the service runs as")


def check(args: argparse.Namespace) -> None:
    """On the command line alone (the files are read when the station starts)."""
    proxy = getattr(args, "proxy_address", "")
    if proxy:
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            # A name would never equal a connection's address: the proxy would silently
            # not be trusted at all.
            raise SettingsError(f"--proxy-address {proxy!r} is not an IP address (give the "
                                f"proxy's address as connections come from it, e.g. "
                                f"127.0.0.1)") from None
    if (args.tls_cert is None) != (args.tls_key is None):
        given, missing = (("--tls-cert", "--tls-key") if args.tls_cert is not None
                          else ("--tls-key", "--tls-cert"))
        raise SettingsError(f"{given} was given without {missing}: give both, or neither "
                            f"for plain HTTP")


def _no_passphrase() -> str:
    # Without a callback OpenSSL would ask for a passphrase on the terminal, and a service
    # has none: an encrypted key must fail here, at once, with the message below.
    return ""


def server_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """The server's TLS context (TLS 1.2 at least), or None for plain HTTP. Raises
    SettingsError, naming the file, for a missing, unreadable or mismatched pair."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise SettingsError("give --tls-cert and --tls-key together")
    heads = {}
    for option, path in (("--tls-cert", cert), ("--tls-key", key)):
        if not path.exists():
            raise SettingsError(f"{option} {path}: no such file")
        if not path.is_file():
            raise SettingsError(f"{option} {path}: not a file")
        try:
            with path.open("rb") as f:
                heads[option] = f.read(64 * 1024)
        except PermissionError:
            raise SettingsError(f"{option} {path}: permission denied (it must be readable by "
                                f"the user this station runs as, e.g. chgrp antrean {path}; "
                                f"chmod 0640 {path})") from None
        except OSError as e:
            raise SettingsError(f"{option} {path}: cannot read it: {e.strerror or e}") from None
        if b"-----BEGIN" not in heads[option]:
            raise SettingsError(f"{option} {path}: not a PEM file (it has no '-----BEGIN' "
                                f"line; convert a .pfx or DER file with openssl first)")
    if b"ENCRYPTED" in heads["--tls-key"]:
        raise SettingsError(f"--tls-key {key}: the key is encrypted with a passphrase, which "
                            f"a service cannot type; give it unencrypted (openssl pkey -in "
                            f"{key.name} -out {key.stem}-plain.key)")
    try:
        # The certificate alone first, so a bad one is named as such.
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=cert)
    except ssl.SSLError:
        raise SettingsError(f"--tls-cert {cert}: no PEM certificate in it (is it the key, or "
                            f"a certificate request?)") from None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key, password=_no_passphrase)
    except ssl.SSLError as e:
        if "MISMATCH" in (e.reason or str(e)).upper():
            raise SettingsError(f"--tls-key {key} is not the private key of the certificate "
                                f"--tls-cert {cert}") from None
        raise SettingsError(f"--tls-key {key}: no PEM private key in it (or one this "
                            f"system's OpenSSL cannot read): {e.reason or e}") from None
    except OSError as e:
        raise SettingsError(f"cannot use --tls-cert {cert} with --tls-key {key}: "
                            f"{e.strerror or e}") from None
    return ctx


def forwarded_https(remote: str | None, proxy: str, headers: Mapping[str, str]) -> bool:
    """A plain request that the trusted reverse proxy (`--proxy-address`) says it received
    over HTTPS. From any other address the header means nothing: anyone can write it."""
    if not proxy or remote != proxy:
        return False
    proto = headers.get("X-Forwarded-Proto", "")
    # A chain of proxies lists one scheme each; the first is what the browser used.
    return proto.split(",")[0].strip().lower() == "https"


def client_address(remote: str | None, proxy: str, headers: Mapping[str, str]) -> str:
    """The client's address: behind the trusted reverse proxy, the last address in its
    X-Forwarded-For (the one that proxy added; earlier ones are the client's own claims)."""
    forwarded = headers.get("X-Forwarded-For", "")
    if proxy and remote == proxy and forwarded.strip():
        return forwarded.split(",")[-1].strip()[:64]
    return remote or "?"
