"""Whether a request came over HTTPS and from whom, for the cookies' Secure flag and the
rate limit: served over TLS by this station (`--tls-cert`), or through the reverse proxy named
with `--proxy-address` (and only that one: any other client could write the headers)."""

from __future__ import annotations

from aiohttp import web

from shared.station import https

PROXY = web.AppKey("proxy", str)  # the trusted reverse proxy's address, or ""


def is_https(request: web.Request) -> bool:
    return request.secure or https.forwarded_https(request.remote, request.app[PROXY],
                                                   request.headers)


def client_address(request: web.Request) -> str:
    return https.client_address(request.remote, request.app[PROXY], request.headers)
