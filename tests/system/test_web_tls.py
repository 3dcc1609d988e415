"""HTTPS served by `antrean web` and `antrean console` themselves (`--tls-cert FILE --tls-key
FILE`): real processes on 127.0.0.1 with a throwaway certificate made here, beside a real hub.
Over HTTPS the counter's and the console's cookies are Secure; a plain request to the TLS port
gets no page; a bad pair is a one-line error before anything is opened; behind a reverse proxy
only that proxy's X-Forwarded-Proto makes the counter's cookie Secure; and Debian's chromium
enrols a browser counter over HTTPS."""

from __future__ import annotations

import http.client
import os
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.hub import tls
from tests.helpers.console_station import ConsoleProcess
from tests.helpers.web_counter import make_code
from tests.helpers.web_station import WebProcess
from tests.system.conftest import DATA, HubProcess

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WAIT_MS = 10_000


@dataclass
class Hall:
    hub: HubProcess
    web: WebProcess  # over HTTPS
    proxied: WebProcess  # plain, behind a "proxy" at 127.0.0.1
    console: ConsoleProcess  # over HTTPS
    cert: Path
    key: Path


def documented_pair(folder: Path) -> tuple[Path, Path]:
    """The hall's certificate made by the openssl line docs/install-id.md gives, as written."""
    doc = (REPO / "docs" / "install-id.md").read_text(encoding="utf-8")
    lines = [line for line in doc.splitlines() if line.startswith("openssl req -x509")]
    assert len(lines) == 1, "docs/install-id.md gives one openssl line for the certificate"
    subprocess.run(shlex.split(lines[0]), cwd=folder, check=True, capture_output=True,
                   timeout=60)
    return folder / "hall.crt", folder / "hall.key"


def pair(folder: Path, name: str) -> tuple[Path, Path]:
    """A throwaway self-signed certificate and its key (the `cryptography` package)."""
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    tls.ensure_certificate(cert, key, f"Test {name}")
    return cert, key


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    workdir = tmp_path_factory.mktemp("web-tls")
    cert, key = documented_pair(workdir)
    hub = HubProcess(workdir, DATA / "small_hall.toml")
    web_token = hub.enroll("web-1", "web")
    proxied_token = hub.enroll("web-2", "web")
    console_token = hub.enroll("console-1", "admin")
    hub.add_officer("siti", "246813")
    hub.start()
    tls_args = ("--tls-cert", str(cert), "--tls-key", str(key))
    web = WebProcess(workdir, hub.url, web_token, hub.clock, extra=tls_args, tls=True)
    proxied_dir = workdir / "proxied"
    proxied_dir.mkdir()
    proxied = WebProcess(proxied_dir, hub.url, proxied_token, hub.clock,
                         extra=("--proxy-address", "127.0.0.1"))
    console = ConsoleProcess(workdir, hub.url, console_token, hub.clock, extra=tls_args,
                             tls=True)
    try:
        for each in (web, proxied, console):
            each.start()
        yield Hall(hub, web, proxied, console, cert, key)
    finally:
        for each in (console, proxied, web):
            each.stop()
        hub.stop()


def unchecked() -> ssl.SSLContext:
    """The throwaway certificate is nobody's: this client does not check it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    return ctx


def get(port: int, path: str, https: bool = True, headers: dict[str, str] | None = None,
        source: str = "127.0.0.1") -> http.client.HTTPResponse:
    conn: http.client.HTTPConnection = (
        http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=unchecked(),
                                    source_address=(source, 0)) if https else
        http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0)))
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    """Set-Cookie lines by the cookie's name."""
    return {line.split("=", 1)[0]: line for line in response.headers.get_all("Set-Cookie") or []}


def secure(line: str) -> bool:
    return "secure" in [part.strip().lower() for part in line.split(";")]


def plain_request_fails(port: int) -> bool:
    """Plain HTTP to a TLS port: no HTTP answer at all (the handshake never happens)."""
    try:
        get(port, "/health", https=False)
    except (OSError, http.client.HTTPException):
        return True
    return False  # an HTTP answer of any kind, even an error page, is a failure here


# --- serving over HTTPS -------------------------------------------------------------------------


def test_web_serves_https_with_secure_cookies_and_nothing_plain(hall: Hall) -> None:
    response = get(hall.web.port, "/petugas")
    assert response.status == 200
    csrf = cookies(response)["antrean_petugas_csrf"]
    assert secure(csrf) and "httponly" in csrf.lower(), csrf
    # The phones' pages come over the same HTTPS port.
    assert get(hall.web.port, "/papan").status == 200
    with socket.create_connection(("127.0.0.1", hall.web.port), timeout=10) as raw, \
            unchecked().wrap_socket(raw) as s:
        assert s.version() in ("TLSv1.2", "TLSv1.3")
        assert s.getpeercert(binary_form=True) == ssl.PEM_cert_to_DER_cert(
            hall.cert.read_text())
    assert plain_request_fails(hall.web.port)


def test_console_serves_https_with_secure_cookies_and_nothing_plain(hall: Hall) -> None:
    response = get(hall.console.port, "/masuk")
    assert response.status == 200
    form = cookies(response)["antrean_console_form"]
    assert secure(form), form
    assert plain_request_fails(hall.console.port)


def test_only_the_trusted_proxy_makes_the_counters_cookie_secure(hall: Hall) -> None:
    port = hall.proxied.port
    said_https = {"X-Forwarded-Proto": "https"}
    # From the proxy (127.0.0.1): what it says about the browser's scheme counts.
    assert secure(cookies(get(port, "/petugas", https=False, headers=said_https))
                  ["antrean_petugas_csrf"])
    assert not secure(cookies(get(port, "/petugas", https=False))["antrean_petugas_csrf"])
    assert not secure(cookies(get(port, "/petugas", https=False,
                                  headers={"X-Forwarded-Proto": "http"}))
                      ["antrean_petugas_csrf"])
    # From any other address the header is anyone's claim: ignored.
    assert not secure(cookies(get(port, "/petugas", https=False, headers=said_https,
                                  source="127.0.0.2"))["antrean_petugas_csrf"])


# --- a bad pair ---------------------------------------------------------------------------------


def run_cli(app: str, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    replica = workdir / f"{app}-bad-replica.db"
    done = subprocess.run(
        [sys.executable, "-m", "antrean", app, "--hub", "ws://127.0.0.1:9/ws", "--token",
         "rCU_EWTykiLr-6-BG4VXzTtFdjqKPRdb", "--replica", str(replica),
         "--listen", "127.0.0.1:1", *args],
        capture_output=True, text=True, timeout=60, cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert not replica.exists(), "a bad pair must change nothing"
    return done


@pytest.mark.parametrize("app", ["web", "console"])
def test_a_bad_pair_is_a_clear_error(app: str, tmp_path: Path) -> None:
    cert, key = pair(tmp_path, "good")
    other_cert, other_key = pair(tmp_path, "other")
    encrypted = tmp_path / "encrypted.key"
    subprocess.run(["openssl", "pkey", "-in", str(key), "-aes256", "-passout", "pass:rahasia",
                    "-out", str(encrypted)], check=True, capture_output=True)
    cases = {
        ("--tls-cert", str(cert)): "--tls-cert was given without --tls-key",
        ("--tls-key", str(key)): "--tls-key was given without --tls-cert",
        ("--tls-cert", str(tmp_path / "none.crt"), "--tls-key", str(key)):
            "none.crt: no such file",
        ("--tls-cert", str(cert), "--tls-key", str(other_key)):
            "is not the private key of the certificate",
        ("--tls-cert", str(key), "--tls-key", str(key)): "no PEM certificate in it",
        ("--tls-cert", str(cert), "--tls-key", str(encrypted)): "encrypted with a passphrase",
        ("--proxy-address", "localhost"): "--proxy-address 'localhost' is not an IP address",
    }
    if app == "web":  # one run each is enough to show both apps share the check
        cases[("--tls-cert", str(other_cert), "--tls-key", str(other_cert))] = (
            "no PEM private key in it")
    for args, message in cases.items():
        done = run_cli(app, tmp_path, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_key_is_a_clear_error(tmp_path: Path) -> None:
    cert, key = pair(tmp_path, "good")
    key.chmod(0)
    done = run_cli("web", tmp_path, "--tls-cert", str(cert), "--tls-key", str(key))
    assert done.returncode == 2 and "permission denied" in done.stderr, done.stderr


# --- in a browser -------------------------------------------------------------------------------


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_chromium_enrols_a_counter_over_https(hall: Hall) -> None:
    playwright_sync = pytest.importorskip("playwright.sync_api")
    code = make_code(hall.hub, "loket-2-web", 2)
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(ignore_https_errors=True,
                                          viewport={"width": 1366, "height": 768})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(hall.web.url + "/petugas")
            assert page.url.startswith("https://")
            page.fill("#code", code)
            page.click("#enrol")
            playwright_sync.expect(page.locator("#officer")).to_be_visible(timeout=WAIT_MS)
            page.fill("#officer", "siti")
            page.fill("#pin", "246813")
            page.click("button[data-action=sign_in]")
            playwright_sync.expect(page.locator("#message")).to_contain_text(
                "Selamat bertugas", timeout=WAIT_MS)
            # The live part comes over the same HTTPS port (its stream is up: on line).
            playwright_sync.expect(page.locator("button[data-action=call_next]")).to_be_visible(
                timeout=WAIT_MS)
            device: dict[str, Any] = {c["name"]: c for c in context.cookies()}
            assert device["antrean_petugas"]["secure"] is True
            assert device["antrean_petugas"]["httpOnly"] is True
            assert errors == []
        finally:
            browser.close()
