"""A real X11 display for tests: Debian's Xvfb with the openbox window manager, so windows get
frames, a work area and placement the way a hall PC's desktop gives them (the offscreen
platform has none of that).

    with running_xserver(tmp_path) as x:
        subprocess.run([...], env=x.env())
        x.windows_of(pid)          # the mapped top-level windows of a process, frames included
        x.screenshot(tmp_path / "screen.png")

Xvfb picks a free display number itself (-displayfd), so tests running side by side never
collide. Ready means ready: Xvfb writes its number once it accepts connections, and openbox
is up once it has claimed the root window (_NET_SUPPORTING_WM_CHECK)."""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from antrean.demo.layout import Box

START_TIMEOUT_S = 15.0
INSTALL_HINT = "scripts/test.sh's bootstrap installs it"
OPENBOX_RC = Path("/etc/xdg/openbox/rc.xml")  # Debian's, from the openbox package


@dataclass(frozen=True)
class Edges:
    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0


@dataclass(frozen=True)
class XWindow:
    id: int
    title: str
    client: Box  # the app's own area, in root coordinates
    frame: Box  # with the window manager's title bar and borders


@dataclass
class XServer:
    display: str
    width: int
    height: int
    home: Path

    @property
    def screen(self) -> Box:
        return Box(0, 0, self.width, self.height)

    def work_area(self) -> Box:
        """The screen without the reserved edges, as the window manager announces it
        (_NET_WORKAREA, which Qt's QScreen.availableGeometry reports)."""
        out = self.x("xprop", "-root", "_NET_WORKAREA", check=False)
        numbers = [int(n) for n in re.findall(r"\d+", out.partition("=")[2])]
        return Box(*numbers[:4]) if len(numbers) >= 4 else self.screen

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """An environment for a program on this display (and on no other): Qt picks its xcb
        platform plugin, as it would on an X11 desktop."""
        env = {k: v for k, v in (os.environ if base is None else base).items()
               if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
        env["DISPLAY"] = self.display
        env["XDG_SESSION_TYPE"] = "x11"
        return env

    def x(self, *cmd: str, check: bool = True) -> str:
        result = subprocess.run(list(cmd), capture_output=True, text=True, env=self.env(),
                                timeout=20, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: rc {result.returncode}: {result.stderr}")
        return result.stdout

    def windows_of(self, pid: int) -> list[XWindow]:
        """The viewable top-level windows whose _NET_WM_PID is `pid`."""
        out = self.x("xdotool", "search", "--onlyvisible", "--pid", str(pid), check=False)
        windows = []
        for wid in (int(w) for w in out.split()):
            info = self.x("xwininfo", "-id", str(wid), check=False)
            if "IsViewable" not in info:
                continue  # unmapped between the search and now
            client = Box(*(int(_field(info, name)) for name in (
                "Absolute upper-left X", "Absolute upper-left Y", "Width", "Height")))
            left, right, top, bottom = self.frame_extents(wid)
            frame = Box(client.x - left, client.y - top, client.width + left + right,
                         client.height + top + bottom)
            title = self.x("xdotool", "getwindowname", str(wid), check=False).strip()
            windows.append(XWindow(wid, title, client, frame))
        return windows

    def frame_extents(self, wid: int) -> tuple[int, int, int, int]:
        """left, right, top, bottom of the frame the window manager put around `wid`."""
        out = self.x("xprop", "-id", str(wid), "_NET_FRAME_EXTENTS", check=False)
        numbers = [int(n) for n in re.findall(r"\d+", out.partition("=")[2])]
        return (numbers[0], numbers[1], numbers[2], numbers[3]) if len(numbers) == 4 else \
            (0, 0, 0, 0)

    def screenshot(self, path: Path) -> Path:
        """The whole screen as a PNG (Pillow reads the X display through xcb)."""
        from PIL import ImageGrab

        ImageGrab.grab(xdisplay=self.display).save(path)
        return path


def _field(info: str, name: str) -> str:
    m = re.search(rf"^\s*{re.escape(name)}:\s*(-?\d+)", info, re.MULTILINE)
    if not m:
        raise RuntimeError(f"xwininfo gave no {name!r}: {info}")
    return m.group(1)


def wait_for(condition: Callable[[], object], timeout: float, what: str,
             interval: float = 0.05) -> object:
    """Poll `condition` until it returns something true; its value, or TimeoutError naming
    `what`. Polling is the only way to learn about another process's X state."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:g} s")
        time.sleep(interval)


def _need(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise RuntimeError(f"{program} is not installed ({INSTALL_HINT})")
    return path


@contextlib.contextmanager
def running_xserver(workdir: Path, width: int = 1920, height: int = 1080, depth: int = 24,
                    window_manager: bool = True, reserved: Edges = Edges()
                    ) -> Iterator[XServer]:
    """Xvfb (and openbox) for the duration of the block; both are stopped afterwards.
    `reserved`: screen edges the window manager keeps free, as a desktop's panels do (they
    shrink the work area, Qt's QScreen.availableGeometry)."""
    for program in ("Xvfb", "xdotool", "xwininfo", "xprop",
                    *(("openbox",) if window_manager else ())):
        _need(program)
    home = workdir / "x-home"
    home.mkdir(parents=True, exist_ok=True)
    with open(workdir / "xvfb.log", "wb") as xvfb_log, \
            open(workdir / "openbox.log", "wb") as wm_log:
        read_fd, write_fd = os.pipe()
        procs: list[subprocess.Popen[bytes]] = []
        try:
            xvfb = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                 f"{width}x{height}x{depth}", "-nolisten", "tcp", "-noreset"],
                pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=xvfb_log)
            procs.append(xvfb)
            os.close(write_fd)
            write_fd = -1
            server = XServer(f":{_read_display_number(read_fd, xvfb)}", width, height, home)
            if window_manager:
                procs.append(_start_window_manager(server, reserved, wm_log,
                                                   workdir / "openbox.log"))
            yield server
        finally:
            if write_fd >= 0:
                os.close(write_fd)
            os.close(read_fd)
            for proc in reversed(procs):
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)


def _start_window_manager(server: XServer, reserved: Edges, log: IO[bytes], log_path: Path
                          ) -> subprocess.Popen[bytes]:
    # Its own config and cache folders: nothing of this machine's user is read or written.
    env = {**server.env(), "HOME": str(server.home),
           "XDG_CONFIG_HOME": str(server.home / "config"),
           "XDG_CACHE_HOME": str(server.home / "cache")}
    # Debian's default configuration, with the reserved edges as its <margins>.
    rc = OPENBOX_RC.read_text(encoding="utf-8")
    margins = "".join(f"<{edge}>{getattr(reserved, edge)}</{edge}>"
                      for edge in ("top", "bottom", "left", "right"))
    rc, count = re.subn(r"<margins>.*?</margins>", f"<margins>{margins}</margins>", rc,
                        flags=re.DOTALL)
    if count != 1:
        raise RuntimeError(f"{OPENBOX_RC} has no <margins> section")
    config = server.home / "openbox-rc.xml"
    config.write_text(rc, encoding="utf-8")
    wm = subprocess.Popen(["openbox", "--sm-disable", "--config-file", str(config)], env=env,
                          stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for(lambda: wm.poll() is not None or "window id" in server.x(
            "xprop", "-root", "_NET_SUPPORTING_WM_CHECK", check=False),
            START_TIMEOUT_S, "openbox claims the display")
        if wm.poll() is not None:
            raise RuntimeError(f"openbox ended (rc {wm.returncode}): "
                               f"{log_path.read_text(errors='replace')}")
    except BaseException:
        wm.kill()
        wm.wait(timeout=10)
        raise
    return wm


def _read_display_number(fd: int, xvfb: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + START_TIMEOUT_S
    text = b""
    while not text.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or xvfb.poll() is not None:
            raise RuntimeError(f"Xvfb did not start (rc {xvfb.poll()})")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                raise RuntimeError(f"Xvfb closed -displayfd without a number (rc {xvfb.poll()})")
            text += chunk
    return int(text.strip())
