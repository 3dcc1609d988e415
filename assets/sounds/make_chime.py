"""Generate assets/sounds/chime.wav: a soft two-tone "ding-dong" played before each call.

Run: python assets/sounds/make_chime.py [out.wav]

Written with the standard library only (no numpy) so it runs anywhere the app runs. The format
matches what espeak-ng renders (22,050 Hz, mono, 16-bit) so the chime and the voice can be joined
into one file without resampling.
"""

from __future__ import annotations

import math
import sys
import wave
from array import array
from pathlib import Path

RATE = 22_050
# Two falling tones (E5 then C5, a major third) read as "attention, please" in most public
# halls; a falling pair sounds calmer than a rising one.
TONES = ((659.26, 0.0), (523.25, 0.45))  # (frequency Hz, start s)
TONE_SECONDS = 0.8
TOTAL_SECONDS = 1.3
PEAK = 0.45  # well below full scale: the voice must stay louder than the chime


def _tone_sample(freq: float, t: float) -> float:
    # Soft attack and release ramps avoid clicks (a cut-off wave is heard as a tick);
    # the exponential decay in between sounds like a struck bell.
    attack = min(1.0, t / 0.015)
    release = min(1.0, (TONE_SECONDS - t) / 0.1)
    decay = math.exp(-t * 4.0)
    # A quiet octave and twelfth give the tone a bell colour instead of a bare sine beep.
    wave_ = (
        math.sin(2 * math.pi * freq * t)
        + 0.25 * math.sin(2 * math.pi * 2 * freq * t)
        + 0.08 * math.sin(2 * math.pi * 3 * freq * t)
    ) / 1.33
    return attack * release * decay * wave_


def make_chime() -> array[int]:
    n = int(TOTAL_SECONDS * RATE)
    samples = [0.0] * n
    for freq, start in TONES:
        first = int(start * RATE)
        for i in range(int(TONE_SECONDS * RATE)):
            if first + i < n:
                samples[first + i] += _tone_sample(freq, i / RATE)
    loudest = max(abs(s) for s in samples)
    scale = PEAK * 32767 / loudest
    return array("h", (round(s * scale) for s in samples))


def write_wav(path: Path, pcm: array[int]) -> None:
    if sys.byteorder == "big":  # WAV is little-endian
        pcm = array("h", pcm)
        pcm.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("chime.wav")
    write_wav(out, make_chime())
    print(f"wrote {out} ({out.stat().st_size} bytes, {TOTAL_SECONDS} s)")


if __name__ == "__main__":
    main(sys.argv)
