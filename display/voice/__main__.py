"""Voice tools for IT staff, no display needed:

    python -m display.voice text A-001 3                 # the words that would be spoken
    python -m display.voice render A-001 3 --out call.wav  # chime + voice as one WAV file
    python -m display.voice render A-001 3 --recall --out recall.wav   # "Panggilan ulang. …"
    python -m display.voice check                        # is an Indonesian voice installed?

`--config hall.toml` takes the voice settings (style, language, rate, repeat) from a hall config.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

from display.voice import DEFAULT_CHIME
from display.voice.clips import ClipSynthesizer
from display.voice.synthesizer import EspeakNgSynthesizer, SynthesisError, Synthesizer
from display.voice.tts import Pyttsx3Synthesizer
from display.voice.wavfile import WavError, join_wavs, wav_info, wav_levels
from shared.config import ConfigError, Voice, load_config
from shared.speech import call_text, default_voice

CHIME_TO_VOICE_S = 0.3
BETWEEN_REPEATS_S = 0.7


def _voice(args: argparse.Namespace) -> Voice:
    voice = load_config(args.config).voice if args.config else default_voice()
    changes = {k: getattr(args, k) for k in ("style", "language", "rate", "repeat")
               if getattr(args, k, None) is not None}
    return dataclasses.replace(voice, **changes)


def _synthesizer(args: argparse.Namespace, voice: Voice, cache: Path) -> Synthesizer:
    if args.engine == "espeak-ng":
        return EspeakNgSynthesizer(cache, voice=voice.language, rate=voice.rate,
                                   volume=voice.volume)
    if args.engine == "clips":
        if not args.pack:
            raise SystemExit("--engine clips needs --pack FOLDER")
        return ClipSynthesizer(args.pack, cache)
    return Pyttsx3Synthesizer.from_voice(cache, voice)


def _describe(path: Path) -> str:
    info, levels = wav_info(path), wav_levels(path)
    return (f"{path}: {info.duration:.2f} s, {info.rate} Hz, {info.channels} ch, "
            f"RMS {levels.rms:.3f}, peak {levels.peak:.3f}, {path.stat().st_size // 1024} KB")


def cmd_text(args: argparse.Namespace) -> None:
    print(call_text(args.label, args.counter, _voice(args), recall=args.recall,
                    counter_label=args.counter_label))


def cmd_render(args: argparse.Namespace) -> None:
    voice = _voice(args)
    text = call_text(args.label, args.counter, voice, recall=args.recall,
                     counter_label=args.counter_label)
    with tempfile.TemporaryDirectory(prefix="antrean-voice-") as tmp:
        cache = Path(args.cache) if args.cache else Path(tmp)
        with _synthesizer(args, voice, cache) as synth:
            spoken = synth.render(text)
            parts: list[Path | float] = [] if args.no_chime else [DEFAULT_CHIME, CHIME_TO_VOICE_S]
            for i in range(voice.repeat):
                parts += [BETWEEN_REPEATS_S, spoken] if i else [spoken]
            out = join_wavs(parts, args.out)
    print(text)
    print(_describe(out))


def cmd_check(args: argparse.Namespace) -> None:
    voice = _voice(args)
    with tempfile.TemporaryDirectory(prefix="antrean-voice-") as tmp:
        synth = Pyttsx3Synthesizer.from_voice(tmp, voice)
        try:
            synth.start()
            print(f"voice: {synth.voice_description}")
            print(_describe(synth.render(call_text("A-001", 1, voice))))
        finally:
            synth.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m display.voice", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="hall config (TOML) to take the [voice] settings from")
    common.add_argument("--style", choices=("digits", "words"))
    common.add_argument("--language", choices=("id", "en"))
    common.add_argument("--rate", type=int, help="words per minute")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in (("text", cmd_text), ("render", cmd_render)):
        p = sub.add_parser(name, parents=[common])
        p.add_argument("label", help="ticket label, e.g. A-001")
        p.add_argument("counter", type=int, help="counter (loket) number")
        p.add_argument("--recall", action="store_true",
                       help="the ticket called again (says \"Panggilan ulang\" first)")
        p.add_argument("--counter-label", metavar="NAME",
                       help="the counter's own name, spoken instead of \"Loket N\" (as the "
                            "board does for a counter named otherwise)")
        p.set_defaults(func=func)
        if name == "render":
            p.add_argument("--out", required=True, type=Path)
            p.add_argument("--engine", choices=("pyttsx3", "espeak-ng", "clips"),
                           default="pyttsx3")
            p.add_argument("--pack", help="voice pack folder for --engine clips")
            p.add_argument("--repeat", type=int)
            p.add_argument("--no-chime", action="store_true")
            p.add_argument("--cache", help="keep rendered speech in this folder")
    check = sub.add_parser("check", parents=[common],
                           help="start the speech engine and render a test call")
    check.set_defaults(func=cmd_check)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (ValueError, ConfigError, SynthesisError, WavError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # required: the speech worker is started with 'spawn'
    sys.exit(main())
