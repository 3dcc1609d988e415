"""`Announcer`: queues calls, renders them off the GUI thread, plays them one at a time.

Each call is played as: chime, voice, then (pause, voice) for every further repeat. Rendering
runs on one background thread, in queue order, so while one call is being spoken the next is
already being rendered; playback only ever starts at the head of the queue, so calls are heard
in the order they were queued and never overlap.

Every queued key ends with exactly one `finished(key)` or `failed(key, reason)`. `started(key)`
comes first when playback begins (a call whose synthesis failed is never started). Nothing
raises into the GUI: a synthesis error or a missing sound card is a `failed` signal, and the
next call goes ahead.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from display.voice import DEFAULT_CHIME
from display.voice.audio import AudioOutput
from display.voice.synthesizer import Synthesizer

log = logging.getLogger(__name__)


@dataclass
class _Call:
    seq: int
    key: str
    text: str
    voice: Path | None = None
    error: str | None = None
    steps: list[Path | int] = field(default_factory=list)  # a Path to play or a pause in ms

    @property
    def rendered(self) -> bool:
        return self.voice is not None or self.error is not None


class Announcer(QObject):
    queued = Signal(str)
    started = Signal(str)
    finished = Signal(str)
    failed = Signal(str, str)
    # True when the first call starts, False when the queue has run dry: a media area lowers
    # its volume in between. Not toggled between back-to-back calls, so the music does not
    # pump up and down during a burst.
    speaking = Signal(bool)

    # From the render thread to the GUI thread: (seq, wav path or "", error or "").
    _rendered = Signal(int, str, str)

    def __init__(
        self,
        synthesizer: Synthesizer,
        output: AudioOutput,
        *,
        chime: Path | None = DEFAULT_CHIME,
        repeat: int = 1,
        pause_ms: int = 700,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if chime is not None and not Path(chime).is_file():
            raise FileNotFoundError(f"chime sound {chime} not found")
        if repeat < 1:
            raise ValueError(f"repeat must be 1 or more, not {repeat}")
        self._synth = synthesizer
        self._output = output
        self._chime = Path(chime) if chime is not None else None
        self._repeat = repeat
        self._pause_ms = pause_ms
        self._calls: collections.deque[_Call] = collections.deque()
        self._by_seq: dict[int, _Call] = {}
        self._current: _Call | None = None
        self._speaking = False
        self._closed = False
        self._seq = 0
        # One thread: the synthesizer is single-voiced anyway, and one thread keeps renders in
        # queue order. It only waits on the worker process; synthesis itself runs there.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="antrean-voice")
        self._rendered.connect(self._on_rendered, Qt.ConnectionType.QueuedConnection)
        output.done.connect(self._on_output_done)
        output.failed.connect(self._on_output_failed)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.timeout.connect(self._next_step)

    # --- public -------------------------------------------------------------------------------

    def announce(self, key: str, text: str) -> None:
        """Queue a call; returns at once. `key` names it in the signals (e.g. the ticket id)."""
        if self._closed:
            self.failed.emit(key, "announcer is shut down")
            return
        self._seq += 1
        call = _Call(self._seq, key, text)
        self._calls.append(call)
        self._by_seq[call.seq] = call
        self.queued.emit(key)
        self._pool.submit(self._render, call.seq, text)

    def pending(self) -> int:
        """Calls queued or playing."""
        return len(self._calls)

    @property
    def is_speaking(self) -> bool:
        return self._speaking

    def shutdown(self) -> None:
        """Stop playing, drop the queue, stop the render thread. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._pause.stop()
        self._output.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._calls.clear()
        self._by_seq.clear()
        self._current = None
        self._set_speaking(False)

    # --- render thread --------------------------------------------------------------------------

    def _render(self, seq: int, text: str) -> None:
        try:
            path, error = str(self._synth.render(text)), ""
        except Exception as e:  # whatever the engine does, it becomes a failed signal
            path, error = "", str(e) or type(e).__name__
        if self._closed:
            return
        # RuntimeError: the Announcer's C++ object was deleted while we rendered.
        with contextlib.suppress(RuntimeError):
            self._rendered.emit(seq, path, error)

    # --- GUI thread ---------------------------------------------------------------------------

    def _on_rendered(self, seq: int, path: str, error: str) -> None:
        call = self._by_seq.get(seq)
        if call is None:
            return
        if error:
            call.error = f"speech could not be rendered: {error}"
        else:
            call.voice = Path(path)
        self._pump()

    def _pump(self) -> None:
        while self._current is None and self._calls and self._calls[0].rendered:
            call = self._calls[0]
            if call.error is not None:
                self._drop_head()
                log.warning("call %s not announced: %s", call.key, call.error)
                self.failed.emit(call.key, call.error)
                continue
            assert call.voice is not None
            steps: list[Path | int] = [self._chime] if self._chime is not None else []
            for i in range(self._repeat):
                if i:
                    steps.append(self._pause_ms)
                steps.append(call.voice)
            call.steps = steps
            self._current = call
            self._set_speaking(True)
            self.started.emit(call.key)
            self._next_step()
        if self._current is None and not self._calls:
            self._set_speaking(False)

    def _next_step(self) -> None:
        call = self._current
        if call is None:
            return
        if not call.steps:
            self._current = None
            self._drop_head()
            self.finished.emit(call.key)
            self._pump()
            return
        step = call.steps.pop(0)
        if isinstance(step, int):
            self._pause.start(step)
        else:
            self._output.play(step)

    def _on_output_done(self) -> None:
        if self._current is not None:
            self._next_step()

    def _on_output_failed(self, reason: str) -> None:
        call = self._current
        if call is None:
            return
        self._current = None
        self._drop_head()
        log.warning("call %s not heard: %s", call.key, reason)
        self.failed.emit(call.key, reason)
        self._pump()

    def _drop_head(self) -> None:
        call = self._calls.popleft()
        self._by_seq.pop(call.seq, None)

    def _set_speaking(self, on: bool) -> None:
        if on != self._speaking:
            self._speaking = on
            self.speaking.emit(on)


def default_cache_dir() -> Path:
    """Where rendered calls are kept between runs (~/.cache/antrean/voice on Linux)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "antrean" / "voice"
