"""A station's copy of the hall's uploaded files (agency logos), fetched from the hub.

The config names an uploaded logo `assets/logos/<code>-<12 hex>.png|jpg` (shared.hub.assets);
the file itself is on the hub. Each station keeps the ones the config in force names in its
own folder (`<folder>/assets/logos/<name>`, by default beside its replica), so the kiosk's
and the board's logo lookup, which look for `<dir>/<config's path>`, find them under
`<folder>`. A fetched file is kept only when its sha256 starts with the name's 12 hex digits.

Qt-free and blocking (urllib, the hub's pinned HTTPS): the Qt link runs it on a thread, the
console (asyncio) uploads with `upload_logo`.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from shared.config import HallConfig
from shared.hub import assets, tls

log = logging.getLogger(__name__)

RETRY_SECONDS = 60.0  # a logo the hub could not give is asked for again this much later


def http_base(ws_url: str) -> str:
    base = ws_url.rstrip("/").removesuffix("/ws")
    return base.replace("wss://", "https://", 1).replace("ws://", "http://", 1)


def default_folder(replica_path: Path) -> Path:
    """A station's hall files: beside its replica (one folder for the stations of one PC;
    the names are content-addressed, so they share it safely)."""
    return replica_path.parent


def named_logos(config: HallConfig) -> list[str]:
    """The uploaded logos (file names) a config names: the MPP's and each agency's."""
    paths = [config.mpp.logo, *(a.logo for a in config.agencies.values())]
    names = [assets.logo_in_config(p) for p in paths]
    return sorted({n for n in names if n})


@dataclass
class FetchReport:
    fetched: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # name -> why (English)


def missing(folder: Path, names: Iterable[str]) -> list[str]:
    return [n for n in names if not (folder / assets.LOGO_PREFIX / n).is_file()]


def fetch_logos(ws_url: str, token: str, pin: str | None, folder: Path,
                names: Iterable[str], timeout: float = 5.0) -> FetchReport:
    """Fetch each named logo not in `folder` yet from the hub and keep it once its content
    matches its name. Never raises for one file: what failed is in the report (and the log)."""
    report = FetchReport()
    target = folder / assets.LOGO_PREFIX
    for name in missing(folder, names):
        try:
            body = _get(f"{http_base(ws_url)}/{assets.LOGO_PREFIX}/{name}", token, pin, timeout)
            match = assets.LOGO_NAME.fullmatch(name)
            if match is None or not hashlib.sha256(body).hexdigest().startswith(
                    match["digest"]):
                raise OSError("the file the hub sent does not match its name's hash")
            assets.store(target, name, body)
            report.fetched.append(name)
        except (OSError, tls.TlsError, http.client.HTTPException) as e:
            why = str(e) or type(e).__name__
            report.failed[name] = why
            log.warning("could not fetch logo %s from the hub (%s); showing initials, "
                        "trying again later", name, why)
    if report.fetched:
        log.info("fetched %d logo(s) from the hub into %s", len(report.fetched), target)
    return report


def _get(url: str, token: str, pin: str | None, timeout: float) -> bytes:
    headers = {"Authorization": f"Bearer {token}"}
    if tls.is_tls_url(url):
        if pin is None:
            raise tls.TlsError(f"{url}: no pinned fingerprint to check the hub against")
        reply = tls.pinned_get(url, pin, headers, timeout, limit=assets.LOGO_MAX_BYTES + 1)
        if reply.status != 200:
            raise OSError(f"the hub answered HTTP {reply.status}")
        body = reply.body
    else:
        req = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                body = bytes(r.read(assets.LOGO_MAX_BYTES + 1))
        except urllib.error.HTTPError as e:
            raise OSError(f"the hub answered HTTP {e.code}") from None
    if len(body) > assets.LOGO_MAX_BYTES:
        raise OSError("the hub sent more than a logo may be")
    return body


class UploadRefused(Exception):
    """The hub did not take the logo: `status` 0 when it could not be reached."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def upload_logo(ws_url: str, token: str, pin: str | None, name: str, body: bytes,
                      timeout: float = 10.0) -> None:
    """Send a logo to the hub (`PUT /assets/logos/<name>`, admin token); UploadRefused with
    the hub's reason (or why it could not be reached) when it did not keep it."""
    ssl: aiohttp.Fingerprint | bool = aiohttp.Fingerprint(bytes.fromhex(pin)) if pin else True
    url = f"{http_base(ws_url)}/{assets.LOGO_PREFIX}/{urllib.parse.quote(name)}"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.put(url, data=body, ssl=ssl,
                        headers={"Authorization": f"Bearer {token}",
                                 "Content-Type": "application/octet-stream"}) as reply,
        ):
            if reply.status in (200, 201):
                return
            try:
                why = str((await reply.json(content_type=None)).get("error") or "")
            except (ValueError, aiohttp.ClientError, AttributeError):
                why = ""
            raise UploadRefused(reply.status, f"HTTP {reply.status}: {why or reply.reason}")
    except (aiohttp.ClientError, OSError, TimeoutError) as e:
        raise UploadRefused(0, f"cannot reach the hub at {ws_url}: "
                               f"{e or type(e).__name__}") from None
