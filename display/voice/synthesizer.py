"""The `Synthesizer` interface: text in, a cached WAV file out. No Qt here.

A call is rendered once and then spoken straight from the cache: the same ticket numbers come
back every service day, so after a few days most calls never reach the engine at all. The
cache key covers the text, the engine and every setting that changes the sound, so changing
the rate or the voice pack can never replay an old rendering.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import ClassVar

from display.voice.wavfile import WavError, wav_info

# Bump when the rendering pipeline changes in a way the settings do not show.
CACHE_FORMAT = 1
DEFAULT_MAX_CACHE_BYTES = 256 * 1024 * 1024  # ~1,000 calls of ~6 s at 22 kHz


class SynthesisError(Exception):
    """Speech could not be rendered; the message says why in words IT staff can act on."""


class SynthesisTimeout(SynthesisError):
    """The engine gave no answer in time; it was stopped rather than waited on."""


class Synthesizer(ABC):
    """Renders text to a WAV file in `cache_dir`; thread-safe, one synthesis at a time.

    Subclasses implement `settings()` and `_synthesize()`. Callers use `render()`.
    """

    engine: ClassVar[str]

    def __init__(
        self, cache_dir: str | os.PathLike[str], *, max_cache_bytes: int | None = None
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.max_cache_bytes = (
            DEFAULT_MAX_CACHE_BYTES if max_cache_bytes is None else max_cache_bytes
        )
        # Engines are single-voiced (one worker process, one espeak instance): serialise them.
        self._lock = threading.Lock()
        self.engine_calls = 0  # renders that reached the engine, i.e. cache misses

    @abstractmethod
    def settings(self) -> Mapping[str, object]:
        """Everything besides the text that changes the sound; part of the cache key."""

    @abstractmethod
    def _synthesize(self, text: str, out: Path) -> None:
        """Write `text` as a WAV file to `out`; raise SynthesisError on failure."""

    def cache_key(self, text: str) -> str:
        blob = json.dumps(
            [CACHE_FORMAT, self.engine, dict(self.settings()), text],
            sort_keys=True, ensure_ascii=False, default=str,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]

    def cache_path(self, text: str) -> Path:
        return self.cache_dir / f"{self.engine}-{self.cache_key(text)}.wav"

    def render(self, text: str) -> Path:
        """The WAV file speaking `text`, from the cache when it was rendered before."""
        if not text.strip():
            raise SynthesisError("nothing to say: the announcement text is empty")
        path = self.cache_path(text)
        if self._cache_hit(path):
            return path
        with self._lock:
            if self._cache_hit(path):  # another thread rendered it while we waited
                return path
            # A unique name in the same folder: os.replace is then atomic, so a crash or a
            # timeout never leaves a truncated file under the final name.
            tmp = self.cache_dir / f"tmp-{uuid.uuid4().hex}.wav"
            try:
                self.engine_calls += 1
                self._synthesize(text, tmp)
                try:
                    info = wav_info(tmp)
                except WavError as e:
                    raise SynthesisError(f"{self.engine} wrote no usable WAV: {e}") from None
                if info.frames == 0:
                    raise SynthesisError(f"{self.engine} rendered silence (0 samples) for {text!r}")
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
            self._prune(keep=path)
        return path

    def close(self) -> None:
        """Release the engine (worker process, ...). Cached files stay."""
        return None  # most engines hold nothing between calls

    def __enter__(self) -> Synthesizer:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _cache_hit(self, path: Path) -> bool:
        try:
            # Touch on use so pruning drops the calls not heard for longest, not the oldest.
            os.utime(path)
        except FileNotFoundError:
            return False
        return True

    def _prune(self, keep: Path) -> None:
        if self.max_cache_bytes <= 0:
            return
        entries = []
        for p in self.cache_dir.glob("*.wav"):
            if p.name.startswith("tmp-"):
                continue
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            entries.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in entries)
        if total <= self.max_cache_bytes:
            return
        # Drop to 80 % so pruning is not repeated on every new render.
        for _, size, p in sorted(entries):
            if total <= self.max_cache_bytes * 0.8:
                break
            if p == keep:
                continue
            p.unlink(missing_ok=True)
            total -= size


class EspeakNgSynthesizer(Synthesizer):
    """Calls the `espeak-ng` program directly: `espeak-ng -v id -w out.wav`.

    The pyttsx3 engine is the default; this one needs no worker process (each call is already
    a separate process) and serves as the fallback where pyttsx3 cannot load libespeak-ng and
    as the tool that records clip packs.
    """

    engine = "espeak-ng"

    def __init__(
        self,
        cache_dir: str | os.PathLike[str],
        *,
        voice: str = "id",
        rate: int = 150,
        volume: float = 1.0,
        executable: str = "espeak-ng",
        timeout: float = 15.0,
        max_cache_bytes: int | None = None,
    ) -> None:
        super().__init__(cache_dir, max_cache_bytes=max_cache_bytes)
        self.voice = voice
        self.rate = rate
        self.volume = volume
        self.executable = executable
        self.timeout = timeout

    def settings(self) -> Mapping[str, object]:
        return {"voice": self.voice, "rate": self.rate, "volume": self.volume}

    def _synthesize(self, text: str, out: Path) -> None:
        exe = shutil.which(self.executable)
        if exe is None:
            raise SynthesisError(f"{self.executable!r} is not installed or not on PATH")
        # espeak-ng's amplitude runs 0-200 with 100 as normal; our volume is 0.0-1.0.
        amplitude = str(round(self.volume * 100))
        cmd = [exe, "-v", self.voice, "-s", str(self.rate), "-a", amplitude, "-w", str(out)]
        try:
            # Text on stdin, never on the command line: text starting with "-" would be an option.
            result = subprocess.run(
                cmd, input=text, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise SynthesisTimeout(f"espeak-ng gave no answer within {self.timeout:g} s") from None
        if result.returncode != 0:
            detail = result.stderr.strip() or f"exit code {result.returncode}"
            raise SynthesisError(f"espeak-ng failed: {detail}")
