"""The windowed `antrean demo` on a real X display (Xvfb at 1920×1080 with openbox, which draws
frames and keeps a top bar and a left dock free, like a desktop's panels): Qt's xcb platform
plugin loads (a missing library aborted it with rc 134), the four windows are mapped, framed,
inside the free area, do not overlap and leave none of it black, and SIGTERM ends the demo
cleanly. The offscreen platform the other GUI tests use has no window manager, no frames and
no work area, so none of that can be seen there."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.xserver import Box, Edges, XServer, XWindow, running_xserver, wait_for

pytestmark = pytest.mark.slow

PANELS = Edges(top=32, left=48)  # a top bar and a dock
START_S = 40.0  # the demo's start (hub, four stations, Qt) on a busy 2-core machine
SETTLE_S = 10.0  # until the window manager has framed the windows and the demo placed them
OPEN_LINE = "The hall is open"
QT_ABORT = "could not load the Qt platform plugin"


@dataclass
class RunningDemo:
    x: XServer
    proc: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    workdir: Path

    def output(self) -> tuple[str, str]:
        return (self.stdout.read_text(errors="replace"),
                self.stderr.read_text(errors="replace"))


@contextlib.contextmanager
def windowed_demo(workdir: Path, width: int = 1920, height: int = 1080,
                  reserved: Edges = PANELS) -> Iterator[RunningDemo]:
    """`antrean demo` (not --headless) on its own X display, until it has said the hall is
    open; killed afterwards if a test left it running."""
    with running_xserver(workdir, width, height, reserved=reserved) as x, \
            open(workdir / "demo.out", "wb") as out, open(workdir / "demo.err", "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "antrean", "demo", "--out", str(workdir / "out"),
             "--port", "0"],
            cwd=workdir, env={**x.env(), "PYTHONUNBUFFERED": "1"}, stdout=out, stderr=err)
        demo = RunningDemo(x, proc, workdir / "demo.out", workdir / "demo.err", workdir)
        try:
            wait_for(lambda: proc.poll() is not None or OPEN_LINE in demo.output()[0],
                     START_S, "the demo opens the hall")
            yield demo
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=20)


def problems(windows: list[XWindow], area: Box) -> list[str]:
    """What is wrong with the tiling (nothing when the four frames partition `area`)."""
    found = []
    if len(windows) != 4:
        found.append(f"{len(windows)} windows mapped, not 4")
    for w in windows:
        if w.frame == w.client:
            found.append(f"{w.title!r} has no frame yet")
        if not area.contains(w.frame):
            found.append(f"{w.title!r} {w.frame} is not inside the free area {area}")
    for i, a in enumerate(windows):
        for b in windows[i + 1:]:
            if a.frame.overlap(b.frame):
                found.append(f"{a.title!r} and {b.title!r} overlap by "
                             f"{a.frame.overlap(b.frame)} px²")
    covered = sum(w.frame.area for w in windows)
    if not found and covered != area.area:
        found.append(f"the windows cover {covered} of the free area's {area.area} px²")
    return found


def settled_windows(demo: RunningDemo, area: Box) -> list[XWindow]:
    """The demo's windows once they are tiled, or (after SETTLE_S) as they are."""
    last: list[XWindow] = []

    def tiled() -> bool:
        nonlocal last
        last = demo.x.windows_of(demo.proc.pid)
        return demo.proc.poll() is not None or not problems(last, area)

    with contextlib.suppress(TimeoutError):
        wait_for(tiled, SETTLE_S, "the windows are tiled", interval=0.1)
    return last


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    with windowed_demo(tmp_path_factory.mktemp("real-windows")) as running:
        yield running


def test_the_demo_starts_on_a_real_x_display(demo: RunningDemo) -> None:
    out, err = demo.output()
    assert QT_ABORT not in err, err[-2000:]
    assert demo.proc.poll() is None, f"rc {demo.proc.returncode}: {err[-2000:]}"
    assert OPEN_LINE in out
    assert "Traceback" not in err, err[-3000:]


def test_four_windows_tile_the_free_area_without_overlap_or_black(demo: RunningDemo) -> None:
    area = demo.x.work_area()
    assert area == Box(PANELS.left, PANELS.top, 1920 - PANELS.left, 1080 - PANELS.top)
    windows = settled_windows(demo, area)
    assert demo.proc.poll() is None, demo.output()[1][-2000:]
    found = problems(windows, area)
    assert not found, "\n".join(found)
    by_place = sorted(windows, key=lambda w: (w.frame.y, w.frame.x))
    kiosk, board, counter_a, counter_b = by_place
    # The kiosk at the left, full height and portrait; the board at the top right; the two
    # counters below it, side by side.
    assert kiosk.frame.x == area.x and kiosk.frame.height == area.height
    assert kiosk.client.height > kiosk.client.width
    assert board.frame.x == kiosk.frame.right and board.frame.right == area.x + area.width
    assert counter_a.frame.y == counter_b.frame.y == board.frame.bottom
    assert counter_a.frame.x == kiosk.frame.right and counter_b.frame.x == counter_a.frame.right
    assert "screen's free area" not in demo.output()[0]

    shot = demo.x.screenshot(demo.workdir / "demo-xvfb.png")
    with Image.open(shot) as img:
        rgb = img.convert("RGB")
        assert rgb.size == (1920, 1080)
        # X's empty root window is pure black; every app paints its own background.
        inside = rgb.crop((area.x, area.y, area.x + area.width, area.y + area.height))
        colours = {colour: n for n, colour in inside.getcolors(maxcolors=1 << 24) or []}
        black = colours.get((0, 0, 0), 0)
        assert black / area.area < 0.005, f"{black} black pixels in the free area: {shot}"


def test_sigterm_ends_the_windowed_demo_cleanly(demo: RunningDemo) -> None:
    assert demo.proc.poll() is None
    demo.proc.send_signal(signal.SIGTERM)
    rc = demo.proc.wait(timeout=20)
    err = demo.output()[1]
    assert "Traceback" not in err, err[-3000:]
    assert rc in (0, 128 + signal.SIGTERM), f"rc {rc}: {err[-2000:]}"


def test_a_screen_too_small_is_said_in_one_line_and_the_demo_still_runs(tmp_path: Path
                                                                          ) -> None:
    with windowed_demo(tmp_path, 1024, 600, reserved=Edges()) as small:
        # Said once the windows are placed for good (after the window manager framed them).
        wait_for(lambda: small.proc.poll() is not None or "free area" in small.output()[0],
                 SETTLE_S, "the demo says the screen is too small")
        out, err = small.output()
        assert small.proc.poll() is None, err[-2000:]
        assert len(small.x.windows_of(small.proc.pid)) == 4
        lines = [line for line in out.splitlines() if "free area" in line]
        assert len(lines) == 1, out
        assert lines[0].startswith("antrean demo: the screen's free area (1024x600) is "
                                   "smaller than the four windows need ("), lines
