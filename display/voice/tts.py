"""`Pyttsx3Synthesizer`: pyttsx3 (espeak-ng on Linux, SAPI5 on Windows) in a worker process.

Why a separate process: pyttsx3 runs its own driver loop (a COM message pump on Windows, a
polling loop over libespeak-ng's callbacks on Linux), holds global engine state that cannot be
reinitialised (`EspeakDriver._moduleInitialized`), and a stuck engine would freeze whatever
thread waits on it. In a child process it cannot disturb the Qt event loop, a hang is ended
by killing the child, and a crash costs one restart. The 'spawn' start method is used on every
platform: forking a process that already runs Qt threads is unsafe.

The parent talks to the worker over a `multiprocessing.Pipe` (one request, one answer) rather
than a `Queue`: a `Queue` shares a lock and a feeder thread with the child, and a child killed
at the wrong moment can leave that lock held. A pipe just reports EOF.

What pyttsx3 2.99 does on espeak-ng, checked on Debian 12 with espeak-ng 1.51:
- `save_to_file(text, path)` + `runAndWait()` writes a WAV (22,050 Hz mono 16-bit) through
  libespeak-ng's retrieval mode; no sound card is needed, so no fallback to the `espeak-ng`
  program is needed either (`EspeakNgSynthesizer` remains available as an alternative).
- `setProperty()` is only queued; it takes effect during the next `runAndWait()`, and
  `getProperty()` before that still returns the old value. A voice the engine does not know
  is silently ignored and the previous voice (English) keeps speaking. So the worker picks
  the voice from `getProperty("voices")` by language, sets it by id ("poz/id"), applies it
  with a warm-up render and reads it back: a mismatch is reported, never spoken in English.
- The espeak driver writes the WAV header with a fixed 22,050 Hz, which is wrong for MBROLA
  voices (16 kHz), so MBROLA voices ("mb/...") are skipped.
- The driver prints "Audio saved to ..." on stdout; the worker discards its stdout.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import tempfile
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from display.voice.synthesizer import SynthesisError, SynthesisTimeout, Synthesizer
from shared.config import Voice


@dataclass(frozen=True)
class VoiceInfo:
    """A voice as pyttsx3 lists it."""

    id: str
    name: str
    languages: tuple[str, ...]


def choose_voice(
    voices: Sequence[VoiceInfo], language: str, voice_id: str | None = None
) -> VoiceInfo:
    """The voice to use: `voice_id` if given, else the first non-MBROLA voice for `language`.

    Languages are compared loosely ("id", "id-ID", "id_ID" all match "id").
    """
    if voice_id is not None:
        for v in voices:
            if v.id.lower() == voice_id.lower():
                return v
        raise SynthesisError(
            f"voice {voice_id!r} is not installed; installed: {', '.join(v.id for v in voices)}"
        )
    wanted = language.lower().replace("_", "-")

    def speaks(v: VoiceInfo) -> bool:
        for lang in v.languages:
            code = lang.lower().replace("_", "-")
            if code == wanted or code.startswith(wanted + "-"):
                return True
        return False

    for v in voices:
        if speaks(v) and not v.id.lower().startswith("mb/"):
            return v
    installed = ", ".join(f"{v.id} ({'/'.join(v.languages)})" for v in voices) or "none"
    raise SynthesisError(
        f"no text-to-speech voice for language {language!r} is installed; installed: {installed}"
    )


class Pyttsx3Synthesizer(Synthesizer):
    """Renders with pyttsx3 in a restartable worker process; see the module docstring."""

    engine = "pyttsx3"

    def __init__(
        self,
        cache_dir: str | os.PathLike[str],
        *,
        language: str = "id",
        rate: int = 150,
        volume: float = 1.0,
        voice_id: str | None = None,
        driver: str | None = None,
        timeout: float = 15.0,
        start_timeout: float = 30.0,
        max_cache_bytes: int | None = None,
    ) -> None:
        super().__init__(cache_dir, max_cache_bytes=max_cache_bytes)
        self.language = language
        self.rate = rate
        self.volume = volume
        self.voice_id = voice_id
        self.driver = driver
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.worker_starts = 0
        self.voice_description: str | None = None
        self._ctx = multiprocessing.get_context("spawn")
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._next_id = 0

    @classmethod
    def from_voice(
        cls, cache_dir: str | os.PathLike[str], voice: Voice, **kwargs: Any
    ) -> Pyttsx3Synthesizer:
        """A synthesizer with the hall config's language, rate and volume."""
        return cls(cache_dir, language=voice.language, rate=voice.rate, volume=voice.volume,
                   **kwargs)

    def settings(self) -> Mapping[str, object]:
        return {
            "language": self.language, "rate": self.rate, "volume": self.volume,
            "voice_id": self.voice_id, "driver": self.driver, "platform": sys.platform,
        }

    @property
    def worker_pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    def start(self) -> None:
        """Start the worker now (it takes ~0.5 s) instead of on the first call."""
        with self._lock:
            self._ensure_worker()

    def close(self) -> None:
        with self._lock:
            self._stop_worker(graceful=True)

    # --- parent side ------------------------------------------------------------------------

    def _synthesize(self, text: str, out: Path) -> None:
        for attempt in (1, 2):
            self._ensure_worker()
            try:
                self._request(text, out)
                return
            except _WorkerDied as died:
                self._stop_worker(graceful=False)
                if attempt == 2:
                    raise SynthesisError(f"speech worker died twice in a row: {died}") from None
                # One retry with a fresh worker: a worker killed between calls (OOM killer,
                # a user in a task manager) should cost a restart, not an announcement.

    def _ensure_worker(self) -> None:
        if self._proc is not None and self._proc.is_alive() and self._conn is not None:
            return
        self._stop_worker(graceful=False)
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        config = {"language": self.language, "rate": self.rate, "volume": self.volume,
                  "voice_id": self.voice_id, "driver": self.driver}
        proc = self._ctx.Process(
            target=_worker_main, args=(child_conn, config), name="antrean-tts", daemon=True
        )
        proc.start()
        # Close our copy of the child's end, or a dead child would never show up as EOF.
        child_conn.close()
        self._proc, self._conn = proc, parent_conn
        self.worker_starts += 1
        try:
            if not parent_conn.poll(self.start_timeout):
                raise SynthesisTimeout(
                    f"speech worker did not start within {self.start_timeout:g} s"
                )
            kind, detail = parent_conn.recv()
        except (EOFError, OSError):
            proc.join(timeout=1.0)  # reap it, so the exit code is known
            code = proc.exitcode
            self._stop_worker(graceful=False)
            raise SynthesisError(
                f"speech worker exited while starting (exit code {code})"
            ) from None
        except SynthesisError:
            self._stop_worker(graceful=False)
            raise
        if kind != "ready":
            self._stop_worker(graceful=False)
            raise SynthesisError(f"speech engine could not start: {detail}")
        self.voice_description = str(detail)

    def _request(self, text: str, out: Path) -> None:
        conn = self._conn
        assert conn is not None
        self._next_id += 1
        request_id = self._next_id
        try:
            conn.send((request_id, text, str(out)))
            answered = conn.poll(self.timeout)
        except (OSError, EOFError) as e:
            raise _WorkerDied(f"pipe to worker broke ({e})") from None
        if not answered:
            # A hung engine: kill it rather than wait; the next call starts a fresh one.
            self._stop_worker(graceful=False)
            raise SynthesisTimeout(
                f"speech engine gave no answer within {self.timeout:g} s; worker restarted"
            )
        try:
            answer_id, ok, error = conn.recv()
        except (OSError, EOFError):
            code = self._proc.exitcode if self._proc is not None else None
            raise _WorkerDied(f"worker exited during synthesis (exit code {code})") from None
        if answer_id != request_id:  # cannot happen with one request in flight; be loud if it does
            self._stop_worker(graceful=False)
            raise SynthesisError(f"speech worker answered request {answer_id}, not {request_id}")
        if not ok:
            raise SynthesisError(f"speech engine failed: {error}")

    def _stop_worker(self, *, graceful: bool) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            if graceful and proc is not None and proc.is_alive():
                with contextlib.suppress(OSError):
                    conn.send(None)
            conn.close()
        if proc is None:
            return
        proc.join(timeout=2.0 if graceful else 0.0)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5.0)
        proc.close()


class _WorkerDied(Exception):
    pass


# --- worker side (runs in the child process; imports pyttsx3, never Qt) -----------------------


def _worker_main(conn: Connection, config: Mapping[str, Any]) -> None:
    # Ctrl+C in a terminal reaches the whole process group: the parent stops this worker
    # itself (a KeyboardInterrupt here was a traceback under the board's clean exit).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # pyttsx3's espeak driver prints a line per saved file; nobody reads the child's stdout.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    try:
        engine, description = _open_engine(config)
    except Exception as e:  # any failure must reach the parent as a message, not a traceback
        conn.send(("error", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", description))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if message is None:
            return
        request_id, text, out = message
        try:
            # pyttsx3's espeak driver now and then finishes runAndWait with a header and no
            # samples (seen under CPU load); a second render of the same text has always come
            # out whole, so try once more before reporting silence.
            for _attempt in (1, 2):
                engine.save_to_file(text, out)
                engine.runAndWait()
                if not Path(out).is_file():
                    raise SynthesisError("the engine reported success but wrote no file")
                if _frames(Path(out)) > 0:
                    break
        except Exception as e:
            conn.send((request_id, False, f"{type(e).__name__}: {e}"))
        else:
            conn.send((request_id, True, ""))


def _frames(path: Path) -> int:
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes()
    except (wave.Error, EOFError, OSError):
        return 0


def _open_engine(config: Mapping[str, Any]) -> tuple[Any, str]:
    import pyttsx3  # here, not at the top: only the worker process loads the engine

    engine = pyttsx3.init(config["driver"])
    voices = [
        VoiceInfo(str(v.id), str(v.name), tuple(str(lang) for lang in (v.languages or ())))
        for v in engine.getProperty("voices")
    ]
    chosen = choose_voice(voices, config["language"], config["voice_id"])
    engine.setProperty("voice", chosen.id)
    engine.setProperty("rate", config["rate"])
    engine.setProperty("volume", config["volume"])
    # Properties are applied by runAndWait(); a warm-up render applies them (and loads the
    # voice data now rather than during the first real call) so they can be checked.
    with tempfile.TemporaryDirectory(prefix="antrean-tts-") as tmp:
        engine.save_to_file("a", str(Path(tmp) / "warm-up.wav"))
        engine.runAndWait()
    current = engine.getProperty("voice")
    if str(current).lower() != chosen.id.lower():
        raise SynthesisError(f"asked the engine for voice {chosen.id!r}, it kept {current!r}")
    return engine, f"{chosen.name} ({chosen.id})"
