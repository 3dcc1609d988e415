"""The check of a hub address and what goes with it (the token, the certificate's
fingerprint) before a station opens anything: no Qt, so the web station, which has none, and
the Qt apps (shared/station/setup.py) refuse the same settings in the same words."""

from __future__ import annotations

import urllib.parse

from shared.hub import tls


class HubAddressError(Exception):
    """One line of English: what is wrong with the hub settings."""


def check_hub_address(hub: str, token: str | None, fingerprint: str | None,
                      no_token: str) -> None:
    """A hub address must be ws:// or wss:// with a host, come with a token (else `no_token`
    is said), and a fingerprint exactly when it is wss://. Raises HubAddressError."""
    parts = urllib.parse.urlsplit(hub.strip())
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise HubAddressError(f"--hub {hub!r} is not a hub address such as "
                              f"wss://192.168.10.2:8470")
    if not token:
        raise HubAddressError(no_token)
    try:
        tls.station_pin(hub, fingerprint)
    except tls.TlsError as e:
        raise HubAddressError(str(e)) from None
