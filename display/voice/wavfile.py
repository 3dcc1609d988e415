"""Small PCM WAV helpers: format, duration, loudness, joining. Standard library only.

`audioop` is deprecated (removed in Python 3.13) and numpy is not a dependency, so levels are
measured with `array`. Only 16-bit PCM is measured, the format espeak-ng, SAPI5's default file
stream and our chime all use.
"""

from __future__ import annotations

import math
import os
import sys
import uuid
import wave
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class WavError(ValueError):
    """A file that is not a usable PCM WAV, or WAVs that cannot be joined; names the file."""


@dataclass(frozen=True)
class WavInfo:
    channels: int
    sample_width: int  # bytes per sample
    rate: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.rate if self.rate else 0.0

    @property
    def format(self) -> tuple[int, int, int]:
        return (self.channels, self.sample_width, self.rate)


@dataclass(frozen=True)
class Levels:
    """Loudness relative to full scale (0.0 silent .. 1.0 full scale)."""

    rms: float
    peak: float


def wav_info(path: str | os.PathLike[str]) -> WavInfo:
    try:
        with wave.open(os.fspath(path), "rb") as w:
            return WavInfo(w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes())
    except (wave.Error, EOFError, OSError) as e:
        raise WavError(f"{path}: not a readable PCM WAV file ({e})") from None


def read_pcm16(path: str | os.PathLike[str]) -> tuple[WavInfo, array[int]]:
    info = wav_info(path)
    if info.sample_width != 2:
        raise WavError(f"{path}: {info.sample_width * 8}-bit samples; only 16-bit is supported")
    with wave.open(os.fspath(path), "rb") as w:
        raw = w.readframes(info.frames)
    samples = array("h")
    samples.frombytes(raw[: len(raw) - len(raw) % 2])
    if sys.byteorder == "big":  # WAV data is little-endian
        samples.byteswap()
    return info, samples


def wav_levels(path: str | os.PathLike[str]) -> Levels:
    """RMS and peak of a 16-bit WAV, so tests can tell speech from silence."""
    _, samples = read_pcm16(path)
    if not samples:
        return Levels(0.0, 0.0)
    peak = max(abs(min(samples)), max(samples)) / 32768
    rms = math.sqrt(math.fsum(s * s for s in samples) / len(samples)) / 32768
    return Levels(rms=rms, peak=peak)


def join_wavs(
    parts: Sequence[str | os.PathLike[str] | float],
    out: str | os.PathLike[str],
    *,
    trim: bool = False,
) -> Path:
    """Concatenate WAV files into `out`; a number in `parts` is that many seconds of silence.

    `trim` cuts each file's leading and trailing silence (16-bit only), for word clips: a
    synthetic or recorded word carries ~0.2 s of silence on each side, which turns a sentence
    of clips into a slow list of words.

    All files must share one format (channels, sample width, rate): resampling without numpy
    would be slow and lossy, and every source we use (espeak-ng, the chime, clips rendered by
    espeak-ng) is 22,050 Hz mono 16-bit. The file appears atomically, so a reader never sees a
    half-written WAV.
    """
    files = [p for p in parts if not isinstance(p, (int, float))]
    if not files:
        raise WavError("join_wavs needs at least one WAV file to take the format from")
    first = wav_info(files[0])
    target = Path(out)
    tmp = target.with_name(f"tmp-{uuid.uuid4().hex}-{target.name}")
    try:
        with wave.open(os.fspath(tmp), "wb") as w:
            w.setnchannels(first.channels)
            w.setsampwidth(first.sample_width)
            w.setframerate(first.rate)
            for part in parts:
                if isinstance(part, (int, float)):
                    frames = round(part * first.rate)
                    zero = b"\x80" if first.sample_width == 1 else b"\0"  # 8-bit is unsigned
                    w.writeframes(zero * frames * first.channels * first.sample_width)
                    continue
                info = wav_info(part)
                if info.format != first.format:
                    raise WavError(
                        f"{part}: format {info.format} (channels, bytes, Hz) differs from "
                        f"{files[0]}: {first.format}; all parts must match"
                    )
                if trim and info.sample_width == 2:
                    w.writeframes(_trimmed(part, info))
                else:
                    with wave.open(os.fspath(part), "rb") as r:
                        w.writeframes(r.readframes(info.frames))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _trimmed(path: str | os.PathLike[str], info: WavInfo, threshold: float = 0.01) -> bytes:
    _, samples = read_pcm16(path)
    limit = int(threshold * 32768)
    loud = [i for i in range(len(samples)) if abs(samples[i]) > limit]
    if not loud:
        return b""
    # Keep 10 ms either side so consonant onsets and tails are not clipped.
    margin = int(0.01 * info.rate) * info.channels
    first = max(0, loud[0] - margin)
    last = min(len(samples), loud[-1] + margin + 1)
    first -= first % info.channels  # whole frames only
    last += (-last) % info.channels
    kept = samples[first:last]
    if sys.byteorder == "big":
        kept.byteswap()
    return kept.tobytes()
