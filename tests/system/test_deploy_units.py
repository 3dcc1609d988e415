"""The deployment kit: every systemd unit passes `systemd-analyze verify`, the hub and backup
units' command lines really start a hub and a backup loop, and the install scripts lay out a
(scratch) root idempotently."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from antrean.backup import list_backups, verify_backup
from antrean.doctor import Status, check_hub, option_value, read_station_env
from shared.hub.tls import certificate_fingerprint
from tests.helpers.ports import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SYSTEM_UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted(
    (DEPLOY / "systemd").glob("*.timer"))
USER_UNITS = sorted((DEPLOY / "systemd" / "user").glob("*.service"))
INSTALLED_ANTREAN = "/opt/antrean/.venv/bin/antrean"
# The project's own console script: the same program the units start from /opt/antrean.
ANTREAN = Path(sys.executable).parent / "antrean"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (Debian package systemd)")


def unit_entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) in file order; systemd allows a key more than once."""
    entries, section = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def values(path: Path, key: str, section: str = "Service") -> list[str]:
    return [v for s, k, v in unit_entries(path) if s == section and k == key]


def runnable_copy(unit: Path, folder: Path, name: str | None = None) -> Path:
    """Copy a unit for `systemd-analyze verify`, which refuses units whose ExecStart program does
    not exist. What the rewrite changes, and only that: /opt/antrean/.venv/bin/antrean becomes
    this checkout's .venv/bin/antrean (the same console script, installed elsewhere), and
    /usr/bin/cage becomes /usr/bin/true when cage is not installed on this machine. Every other
    line (sandboxing, users, dependencies, environment files) is verified as shipped."""
    text = unit.read_text().replace(INSTALLED_ANTREAN, str(ANTREAN))
    if not Path("/usr/bin/cage").exists():
        text = text.replace("/usr/bin/cage", "/usr/bin/true")
    copy = folder / (name or unit.name)
    copy.write_text(text)
    return copy


def verify(unit: Path, user: bool, runtime_dir: Path) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    cmd = [SYSTEMD_ANALYZE, *(["--user"] if user else []), "verify", "--man=no",
           "--recursive-errors=no", str(unit)]
    # The --user manager needs a runtime directory; this test must not touch the real one.
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, check=False)


@pytest.fixture
def runtime_dir(tmp_path: Path) -> Path:
    d = tmp_path / "runtime"
    d.mkdir(mode=0o700)
    return d


def test_the_kit_has_its_units() -> None:
    names = {p.name for p in SYSTEM_UNITS} | {f"user/{p.name}" for p in USER_UNITS}
    assert {"antrean-hub.service", "antrean-backup.service", "antrean-cage@.service",
            "user/antrean-kiosk.service", "user/antrean-counter.service",
            "user/antrean-display.service"} <= names
    assert ANTREAN.exists(), "the project is not installed in this venv (scripts/bootstrap.sh)"


@needs_analyze
@pytest.mark.parametrize("unit", SYSTEM_UNITS, ids=lambda p: p.name)
def test_system_unit_verifies(unit: Path, tmp_path: Path, runtime_dir: Path) -> None:
    copy = runnable_copy(unit, tmp_path)
    done = verify(copy, user=False, runtime_dir=runtime_dir)
    assert done.returncode == 0 and str(copy) not in done.stderr, done.stderr


@needs_analyze
@pytest.mark.parametrize("app", ["kiosk", "counter", "display"])
def test_kiosk_mode_session_instances_verify(app: str, tmp_path: Path,
                                             runtime_dir: Path) -> None:
    template = DEPLOY / "systemd" / "antrean-cage@.service"
    copy = runnable_copy(template, tmp_path, f"antrean-cage@{app}.service")
    done = verify(copy, user=False, runtime_dir=runtime_dir)
    assert done.returncode == 0 and str(copy) not in done.stderr, done.stderr


@needs_analyze
@pytest.mark.parametrize("unit", USER_UNITS, ids=lambda p: p.name)
def test_user_unit_verifies(unit: Path, tmp_path: Path, runtime_dir: Path) -> None:
    copy = runnable_copy(unit, tmp_path)
    done = verify(copy, user=True, runtime_dir=runtime_dir)
    assert done.returncode == 0 and str(copy) not in done.stderr, done.stderr


@needs_analyze
def test_verify_catches_a_broken_unit(tmp_path: Path, runtime_dir: Path) -> None:
    """The checks above have teeth: a misspelt key or a bad value fails verification."""
    copy = runnable_copy(DEPLOY / "systemd" / "antrean-hub.service", tmp_path)
    copy.write_text(copy.read_text().replace("ProtectSystem=strict", "ProtectSystem=sealed"))
    done = verify(copy, user=False, runtime_dir=runtime_dir)
    assert done.returncode != 0 and "protect system value" in done.stderr


def test_units_restart_and_sandbox_as_promised() -> None:
    for unit in [*SYSTEM_UNITS, *USER_UNITS]:
        assert values(unit, "Restart") == ["always"], unit.name
    hub = DEPLOY / "systemd" / "antrean-hub.service"
    for key, want in (("User", "antrean"), ("StateDirectory", "antrean"),
                      ("ProtectSystem", "strict"), ("NoNewPrivileges", "yes"),
                      ("PrivateTmp", "yes"), ("ProtectHome", "yes")):
        assert values(hub, key) == [want], key
    # The ledger (and its -wal/-shm) must be inside the writable StateDirectory.
    (exec_start,) = values(hub, "ExecStart")
    assert option_value(exec_start, "--ledger") == "/var/lib/antrean/ledger.db"
    backup = DEPLOY / "systemd" / "antrean-backup.service"
    (backup_dir,) = values(backup, "ReadWritePaths")
    (backup_exec,) = values(backup, "ExecStart")
    assert option_value(backup_exec, "--to") == backup_dir
    assert values(backup, "RequiresMountsFor", "Unit") == [backup_dir]
    for unit in [DEPLOY / "systemd" / "antrean-cage@.service", *USER_UNITS]:
        assert values(unit, "EnvironmentFile") == ["/etc/antrean/station.env"], unit.name
    cage = DEPLOY / "systemd" / "antrean-cage@.service"
    assert values(cage, "Conflicts", "Unit") == ["getty@tty1.service"]
    assert values(cage, "WantedBy", "Install") == ["graphical.target"]


# --- the units' command lines, run for real ---------------------------------------------------


def command_of(unit: Path, substitutions: dict[str, str], env: dict[str, str]) -> list[str]:
    """The unit's ExecStart as systemd would run it: $VAR expands to the words of VAR (from
    EnvironmentFile), then our scratch paths replace the installed ones."""
    (line,) = values(unit, "ExecStart")
    words = []
    for word in shlex.split(line):
        if word.startswith("$"):
            words += env.get(word[1:], "").split()
            continue
        for old, new in substitutions.items():
            word = word.replace(old, new)
        words.append(word)
    return words


@pytest.fixture
def process() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=10)
        if p.stdout:
            p.stdout.close()


def wait_for(condition: object, timeout: float, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        pause.wait(0.05)  # a real process, not a signal we could connect to: poll it


def test_hub_and_backup_units_commands_run(tmp_path: Path,
                                           process: list[subprocess.Popen[str]]) -> None:
    state = tmp_path / "var-lib-antrean"
    backups = tmp_path / "srv-antrean-backup"
    port = free_port()
    subs = {INSTALLED_ANTREAN: str(ANTREAN),
            "/etc/antrean/hall.toml": str(REPO / "tests" / "data" / "small_hall.toml"),
            "/var/lib/antrean": str(state), "/srv/antrean-backup": str(backups),
            "8470": str(port), "0.0.0.0": "127.0.0.1"}
    # hub.env may add arguments; mDNS is of no use on loopback.
    hub_cmd = command_of(DEPLOY / "systemd" / "antrean-hub.service", subs,
                         {"ANTREAN_HUB_ARGS": "--no-mdns"})
    assert hub_cmd[:2] == [str(ANTREAN), "hub"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    hub = subprocess.Popen(hub_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=env)
    process.append(hub)

    def healthy() -> bool:
        assert hub.poll() is None, hub.stdout.read() if hub.stdout else hub.returncode
        # The unit serves TLS: stations pin the certificate the hub made beside its ledger.
        if not (state / "hub-tls.crt").exists():
            return False
        pin = certificate_fingerprint(state / "hub-tls.crt")
        return check_hub(f"wss://127.0.0.1:{port}", timeout=1.0,
                         fingerprint=pin)[0].status is Status.OK

    wait_for(healthy, 20, "the hub's /health")
    assert (state / "ledger.db").exists() and (state / "hub-auth.db").exists()
    assert stat.S_IMODE((state / "hub-tls.key").stat().st_mode) == 0o600

    backup_cmd = command_of(DEPLOY / "systemd" / "antrean-backup.service", subs, {})
    assert backup_cmd[:3] == [str(ANTREAN), "backup", "run"]
    backup = subprocess.Popen(backup_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=env)
    process.append(backup)

    def backed_up() -> bool:
        assert backup.poll() is None, backup.stdout.read() if backup.stdout else backup.returncode
        return bool(list_backups(backups))

    wait_for(lambda: backed_up() and len(list_backups(backups)) == 2, 20, "the first backups")
    copy, auth = list_backups(backups, "ledger") + list_backups(backups, "hub-auth")
    assert verify_backup(copy).events == 0  # a new hall: the schema, no events yet
    assert auth.name.startswith("hub-auth-")
    # systemd stops the loop with SIGTERM; it must leave promptly and cleanly.
    backup.send_signal(signal.SIGTERM)
    assert backup.wait(timeout=10) == 0
    hub.send_signal(signal.SIGTERM)
    assert hub.wait(timeout=15) == 0


@pytest.mark.parametrize("app", ["kiosk", "counter", "display", "web", "console"])
def test_station_templates_fit_the_apps(app: str) -> None:
    """The arguments in deploy/stations/<app>.env are ones `antrean <app>` accepts."""
    from antrean import cli

    assert app in cli.SUBCOMMANDS, f"deploy/stations/{app}.env is for a command antrean lacks"
    env = read_station_env(DEPLOY / "stations" / f"{app}.env")
    args = shlex.split(env["ANTREAN_ARGS"])
    parsed = cli.build_parser(app).parse_args(
        [app, *args, "--replica", f"/var/lib/antrean/replica-{app}.db"])
    assert parsed.device == option_value(env["ANTREAN_ARGS"], "--device")


# --- the install scripts ------------------------------------------------------------------------


SCRIPTS = [DEPLOY / "install-hub.sh", DEPLOY / "install-station.sh", DEPLOY / "install-common.sh"]


def test_scripts_parse() -> None:
    for script in SCRIPTS:
        done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None,
                    reason="shellcheck is not installed (Debian package shellcheck)")
def test_scripts_pass_shellcheck() -> None:
    done = subprocess.run(["shellcheck", "-x", *map(str, SCRIPTS)], capture_output=True,
                          text=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stdout


def install(script: str, root: Path, *args: str) -> str:
    # ROOT other than / : no users, packages, chown or systemctl; SKIP_BOOTSTRAP: no venv.
    env = {**os.environ, "ROOT": str(root), "SKIP_BOOTSTRAP": "1"}
    done = subprocess.run(["bash", str(DEPLOY / script), *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_install_hub_into_a_scratch_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    hall = tmp_path / "hall.toml"
    hall.write_text((REPO / "tests" / "data" / "small_hall.toml").read_text())
    out = install("install-hub.sh", root, "--config", str(hall))
    opt = root / "opt" / "antrean"
    assert (opt / "antrean" / "backup.py").is_file()
    assert (opt / "scripts" / "bootstrap.sh").is_file()
    assert not (opt / ".git").exists() and not (opt / ".venv").exists()
    assert (root / "etc" / "antrean" / "hall.toml").read_text() == hall.read_text()
    assert stat.S_IMODE((root / "etc" / "antrean" / "hall.toml").stat().st_mode) == 0o640
    units = root / "etc" / "systemd" / "system"
    assert (units / "antrean-hub.service").read_text() == (
        DEPLOY / "systemd" / "antrean-hub.service").read_text()
    assert (units / "antrean-backup.service").is_file()
    assert "NOT enabling backups" in out and "enroll --role kiosk" in out

    # Again, with a changed config: upgraded in place, the old config kept beside.
    (opt / "stale-file-from-an-old-version.py").write_text("")
    hall.write_text(hall.read_text().replace("Mal Pelayanan Publik Uji", "MPP Uji Baru"))
    install("install-hub.sh", root, "--config", str(hall))
    assert not (opt / "stale-file-from-an-old-version.py").exists()
    olds = list((root / "etc" / "antrean").glob("hall.toml.old-*"))
    assert len(olds) == 1 and "Mal Pelayanan Publik Uji" in olds[0].read_text()
    assert "MPP Uji Baru" in (root / "etc" / "antrean" / "hall.toml").read_text()


def test_install_station_keeps_its_settings(tmp_path: Path) -> None:
    root = tmp_path / "root"
    out = install("install-station.sh", root, "kiosk")
    env_file = root / "etc" / "antrean" / "station.env"
    assert env_file.read_text() == (DEPLOY / "stations" / "kiosk.env").read_text()
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640  # it holds the token
    assert (root / "etc" / "systemd" / "system" / "antrean-cage@.service").is_file()
    assert "NOT started yet" in out

    env_file.write_text(re.sub("paste-the-kiosk-token-here", "tok123", env_file.read_text()))
    install("install-station.sh", root, "kiosk")
    assert "ANTREAN_TOKEN=tok123" in env_file.read_text()

    out = install("install-station.sh", root, "counter", "--desktop", "--user", "siti")
    assert (root / "etc" / "systemd" / "user" / "antrean-counter.service").is_file()
    assert "desktop user siti may now read" in out
