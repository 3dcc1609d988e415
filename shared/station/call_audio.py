"""A call rendered to a WAV by the board's own command (`python -m display.voice render`) in a
child process: how the web station's board voice and the console's "Dengarkan" get the same
announcement as the hall's boards without importing another app (apps never import each
other), and without espeak-ng's minute-long worst case blocking their event loop. No Qt."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

RENDER_TIMEOUT_S = 60.0


async def render_call(label: str, counter: int, out: Path, *, config: Path | None = None,
                      cache: Path | None = None, recall: bool = False,
                      counter_label: str | None = None,
                      timeout: float = RENDER_TIMEOUT_S) -> str | None:
    """Render the call of `label` to `counter` into `out`. None when it was rendered; else
    what went wrong, in one line (the command's last line of error, or the timeout)."""
    argv = [sys.executable, "-m", "display.voice", "render", label, str(counter),
            "--out", str(out)]
    if cache is not None:
        argv += ["--cache", str(cache)]
    if config is not None:
        argv += ["--config", str(config)]
    if recall:
        argv.append("--recall")
    if counter_label:
        argv += ["--counter-label", counter_label]
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return f"rendering {label} took over {timeout:g} s"
    if proc.returncode != 0 or not out.exists():
        return (err.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
    return None
