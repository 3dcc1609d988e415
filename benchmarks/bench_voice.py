"""How long until a call can be spoken: cold render vs. cache hit, for 20 announcements.

Run: .venv/bin/python benchmarks/bench_voice.py [--engine pyttsx3|espeak-ng] [--n 20]

Cold = the text was never rendered (worker already running; its start-up is timed apart).
Warm = the same 20 texts again, answered from the cache. With 20 samples p99 is the maximum.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

from display.voice.synthesizer import EspeakNgSynthesizer, Synthesizer
from display.voice.tts import Pyttsx3Synthesizer
from display.voice.wavfile import wav_info
from shared.speech import call_text, default_voice


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(f"{name:<28} p50 {percentile(ms, 50):9.3f} ms   p99 {percentile(ms, 99):9.3f} ms   "
          f"mean {statistics.fmean(ms):9.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=("pyttsx3", "espeak-ng"), default="pyttsx3")
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    voice = default_voice()
    prefixes = ("A", "B", "KTP", "4K", "SIM")
    texts = [call_text(f"{prefixes[i % 5]}-{i + 1:03d}", i % 12 + 1, voice) for i in range(args.n)]

    with tempfile.TemporaryDirectory(prefix="bench-voice-") as tmp:
        synth: Synthesizer
        if args.engine == "pyttsx3":
            tts = Pyttsx3Synthesizer.from_voice(Path(tmp), voice)
            t0 = time.perf_counter()
            tts.start()
            print(f"worker start-up (spawn + pyttsx3 init + warm-up): "
                  f"{(time.perf_counter() - t0) * 1000:.1f} ms, voice {tts.voice_description}")
            synth = tts
        else:
            synth = EspeakNgSynthesizer(Path(tmp), rate=voice.rate)
        try:
            cold, warm, audio = [], [], 0.0
            for text in texts:
                t0 = time.perf_counter()
                path = synth.render(text)
                cold.append(time.perf_counter() - t0)
                audio += wav_info(path).duration
            for text in texts:
                t0 = time.perf_counter()
                synth.render(text)
                warm.append(time.perf_counter() - t0)
        finally:
            synth.close()
    print(f"engine {args.engine}, {args.n} announcements, {audio:.1f} s of speech rendered")
    report("cold render (cache miss)", cold)
    report("warm lookup (cache hit)", warm)
    assert synth.engine_calls == args.n, "warm lookups must not reach the engine"


if __name__ == "__main__":  # required: the speech worker is started with 'spawn'
    main()
