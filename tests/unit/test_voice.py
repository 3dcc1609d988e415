"""The voice engine without Qt: real espeak-ng renders, the cache, the worker process, clips."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from display.voice import DEFAULT_CHIME
from display.voice.clips import ClipSynthesizer, MissingClipsError, build_clip_pack, words_in
from display.voice.synthesizer import (
    EspeakNgSynthesizer,
    SynthesisError,
    SynthesisTimeout,
    Synthesizer,
)
from display.voice.tts import Pyttsx3Synthesizer, VoiceInfo, choose_voice
from display.voice.wavfile import WavError, join_wavs, wav_info, wav_levels
from shared.speech import call_text, default_voice

CALL = "Nomor antrean, A, nol, nol, satu. Silakan menuju loket tiga."

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def write_tone(path: Path, seconds: float, *, rate: int = 22_050, amplitude: int = 8000) -> Path:
    """A square-ish test tone; loud enough to measure, no numpy needed."""
    frames = int(seconds * rate)
    period = rate // 440
    data = b"".join(
        (amplitude if (i % period) < period // 2 else -amplitude).to_bytes(2, "little", signed=True)
        for i in range(frames)
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data)
    return path


@pytest.fixture
def tts(tmp_path: Path) -> Iterator[Pyttsx3Synthesizer]:
    synth = Pyttsx3Synthesizer(tmp_path / "cache", timeout=10.0)
    yield synth
    synth.close()


def _kill(pid: int) -> None:
    os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))


# --- the real engine -------------------------------------------------------------------------


def test_the_brief_call_text_is_what_we_render() -> None:
    assert call_text("A-001", 3, default_voice()) == CALL


@needs_espeak
def test_pyttsx3_renders_audible_indonesian_of_plausible_length(
    tts: Pyttsx3Synthesizer,
) -> None:
    path = tts.render(CALL)
    info = wav_info(path)
    assert (info.channels, info.sample_width) == (1, 2)
    assert 2.0 <= info.duration <= 8.0, info.duration
    levels = wav_levels(path)
    assert levels.rms > 0.02, levels  # speech; silence measures 0.0
    assert levels.peak > 0.2, levels
    if sys.platform.startswith("linux"):
        # The voice that `setProperty("voice", "id")` would silently have left English.
        assert tts.voice_description is not None and tts.voice_description.endswith("(poz/id)")


@needs_espeak
@pytest.mark.skipif(shutil.which("sox") is None, reason="needs sox to cross-check")
def test_our_levels_agree_with_sox(tts: Pyttsx3Synthesizer) -> None:
    path = tts.render(CALL)
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True,
                         check=True).stderr
    sox_rms = float(re.search(r"RMS\s+amplitude:\s+([0-9.]+)", out)[1])  # type: ignore[index]
    sox_len = float(re.search(r"Length \(seconds\):\s+([0-9.]+)", out)[1])  # type: ignore[index]
    assert wav_levels(path).rms == pytest.approx(sox_rms, rel=0.01)
    assert wav_info(path).duration == pytest.approx(sox_len, abs=0.001)


@needs_espeak
def test_a_repeated_call_comes_from_the_cache_without_the_engine(
    tts: Pyttsx3Synthesizer,
) -> None:
    first = tts.render(CALL)
    assert tts.engine_calls == 1
    pid = tts.worker_pid
    assert pid is not None
    # With the worker dead, a second render can only succeed from the cache; a restart would
    # show in worker_starts.
    tts.close()
    t0 = time.perf_counter()
    second = tts.render(CALL)
    warm = time.perf_counter() - t0
    assert second == first
    assert tts.engine_calls == 1
    assert tts.worker_starts == 1
    assert warm < 0.05, warm


@needs_espeak
def test_cache_key_covers_engine_settings(tmp_path: Path) -> None:
    slow = Pyttsx3Synthesizer(tmp_path, rate=120)
    fast = Pyttsx3Synthesizer(tmp_path, rate=180)
    try:
        assert slow.cache_path(CALL) != fast.cache_path(CALL)
        assert slow.cache_path(CALL) != slow.cache_path(CALL + " ")
        # Different rates really render different lengths: the setting reaches the engine.
        assert wav_info(slow.render(CALL)).duration > wav_info(fast.render(CALL)).duration * 1.2
    finally:
        slow.close()
        fast.close()


@needs_espeak
def test_a_killed_worker_is_restarted(tts: Pyttsx3Synthesizer) -> None:
    tts.render("Nomor antrean, B, satu.")
    first_pid = tts.worker_pid
    assert first_pid is not None
    _kill(first_pid)
    path = tts.render("Nomor antrean, B, dua.")
    assert wav_levels(path).rms > 0.02
    assert tts.worker_starts == 2
    assert tts.worker_pid not in (None, first_pid)


@needs_espeak
@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs SIGSTOP to freeze the worker")
def test_a_hung_worker_is_reported_not_waited_on(tmp_path: Path) -> None:
    synth = Pyttsx3Synthesizer(tmp_path, timeout=1.0)
    try:
        synth.start()
        frozen = synth.worker_pid
        assert frozen is not None
        os.kill(frozen, signal.SIGSTOP)  # a hung engine, as far as the parent can tell
        t0 = time.perf_counter()
        with pytest.raises(SynthesisTimeout, match="no answer within 1 s; worker restarted"):
            synth.render("Nomor antrean, C, satu.")
        assert time.perf_counter() - t0 < 5.0
        # The frozen worker was killed; the next call gets a fresh one and works.
        assert synth.render("Nomor antrean, C, satu.").is_file()
        assert synth.worker_pid not in (None, frozen)
        assert synth.worker_starts == 2
    finally:
        synth.close()


@needs_espeak
def test_missing_language_fails_with_a_clear_error(tmp_path: Path) -> None:
    synth = Pyttsx3Synthesizer(tmp_path, language="xx")
    with pytest.raises(SynthesisError, match="no text-to-speech voice for language 'xx'"):
        synth.render("halo")
    assert synth.worker_pid is None
    assert not list(tmp_path.glob("*.wav"))


def test_empty_text_is_refused_before_the_engine(tmp_path: Path) -> None:
    synth = Pyttsx3Synthesizer(tmp_path)
    with pytest.raises(SynthesisError, match="nothing to say"):
        synth.render("  ")
    assert synth.worker_starts == 0


# --- voice choice (pure) ---------------------------------------------------------------------

VOICES = [
    VoiceInfo("gmw/en", "English", ("en",)),
    VoiceInfo("mb/mb-id1", "indonesian-mbrola-1", ("id",)),
    VoiceInfo("poz/id", "Indonesian", ("id",)),
    VoiceInfo(r"HKEY\Voices\Andika", "Microsoft Andika", ("id_ID",)),
]


def test_choose_voice_by_language_skips_mbrola() -> None:
    assert choose_voice(VOICES, "id").id == "poz/id"
    assert choose_voice(VOICES[3:], "id").name == "Microsoft Andika"  # SAPI5 locale form
    assert choose_voice(VOICES, "en").id == "gmw/en"


def test_choose_voice_by_id_and_errors_list_what_is_installed() -> None:
    assert choose_voice(VOICES, "id", "GMW/EN").id == "gmw/en"
    with pytest.raises(SynthesisError, match=r"voice 'x' is not installed; installed: gmw/en"):
        choose_voice(VOICES, "id", "x")
    with pytest.raises(SynthesisError, match=r"for language 'jv'.*poz/id \(id\)"):
        choose_voice(VOICES, "jv")


# --- espeak-ng program and clip packs --------------------------------------------------------


@needs_espeak
def test_espeak_ng_program_synthesizer(tmp_path: Path) -> None:
    synth = EspeakNgSynthesizer(tmp_path)
    path = synth.render(CALL)
    assert 2.0 <= wav_info(path).duration <= 8.0
    assert wav_levels(path).rms > 0.02
    # Text that looks like an option is spoken, not parsed: it goes in on stdin.
    assert wav_info(synth.render("-w /tmp/x.wav")).frames > 0


def test_espeak_ng_missing_program_is_a_synthesis_error(tmp_path: Path) -> None:
    synth = EspeakNgSynthesizer(tmp_path, executable="no-such-espeak")
    with pytest.raises(SynthesisError, match="'no-such-espeak' is not installed"):
        synth.render(CALL)


@pytest.fixture(scope="module")
def demo_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clip pack recorded with espeak-ng at test time (never committed)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng to record the demo pack")
    root = tmp_path_factory.mktemp("pack")
    words = words_in(CALL) + words_in(call_text("KTP-023", 12, default_voice()))
    return build_clip_pack(EspeakNgSynthesizer(root / "render"), words, root / "pack")


def test_words_in_splits_words_and_drops_punctuation() -> None:
    assert words_in(CALL) == [
        "nomor", "antrean", "a", "nol", "nol", "satu", "silakan", "menuju", "loket", "tiga"
    ]


def test_clip_pack_speaks_a_whole_call(demo_pack: Path, tmp_path: Path) -> None:
    synth = ClipSynthesizer(demo_pack, tmp_path)
    path = synth.render(CALL)
    info = wav_info(path)
    assert 2.0 <= info.duration <= 9.0, info.duration
    assert wav_levels(path).rms > 0.02
    # Each clip's own leading/trailing silence is trimmed, or the call would drag.
    untrimmed = sum(wav_info(demo_pack / f"{w}.wav").duration for w in words_in(CALL))
    assert info.duration < untrimmed * 0.9, (info.duration, untrimmed)
    assert synth.render(CALL) == path and synth.engine_calls == 1


def test_clip_pack_names_every_missing_word(demo_pack: Path, tmp_path: Path) -> None:
    synth = ClipSynthesizer(demo_pack, tmp_path)
    text = call_text("QZ-009", 45, default_voice())
    with pytest.raises(MissingClipsError) as caught:
        synth.render(text)
    assert caught.value.words == ["q", "z", "sembilan", "empat", "puluh", "lima"]
    assert "has no clip for: q, z, sembilan, empat, puluh, lima" in str(caught.value)
    assert synth.missing(text) == caught.value.words


def test_re_recording_a_clip_invalidates_the_cache(demo_pack: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(demo_pack, pack)
    synth = ClipSynthesizer(pack, tmp_path / "cache")
    before = synth.cache_path(CALL)
    write_tone(pack / "satu.wav", 0.3)
    assert synth.cache_path(CALL) != before


def test_clip_pack_with_mixed_formats_is_an_error(demo_pack: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(demo_pack, pack)
    write_tone(pack / "satu.wav", 0.3, rate=16_000)
    with pytest.raises(SynthesisError, match=r"satu\.wav: format \(1, 2, 16000\)"):
        ClipSynthesizer(pack, tmp_path / "cache").render(CALL)


# --- WAV helpers, cache pruning and the chime ------------------------------------------------


def test_join_wavs_adds_silence_and_checks_formats(tmp_path: Path) -> None:
    a = write_tone(tmp_path / "a.wav", 0.5)
    b = write_tone(tmp_path / "b.wav", 0.25)
    joined = join_wavs([a, 0.25, b], tmp_path / "ab.wav")
    assert wav_info(joined).duration == pytest.approx(1.0, abs=0.001)
    silence = join_wavs([a, 1.0], tmp_path / "s.wav")
    assert wav_levels(silence).rms < wav_levels(a).rms  # half of it is silent
    with pytest.raises(WavError, match=r"c\.wav: format"):
        join_wavs([a, write_tone(tmp_path / "c.wav", 0.1, rate=44_100)], tmp_path / "x.wav")
    with pytest.raises(WavError, match="not a readable PCM WAV"):
        wav_info(tmp_path / "missing.wav")


class _ToneSynth(Synthesizer):
    engine = "tone"

    def settings(self) -> dict[str, object]:
        return {}

    def _synthesize(self, text: str, out: Path) -> None:
        write_tone(out, 0.5)  # 22 KB each


def test_cache_is_pruned_least_recently_used_first(tmp_path: Path) -> None:
    synth = _ToneSynth(tmp_path, max_cache_bytes=100_000)
    paths = [synth.render(f"call {i}") for i in range(3)]
    old = time.time() - 3600
    os.utime(paths[0], (old, old))
    os.utime(paths[1], (old - 10, old - 10))
    synth.render("call 0")  # a hit: marks call 0 as recently used
    for i in range(3, 6):
        synth.render(f"call {i}")
    assert sum(p.stat().st_size for p in tmp_path.glob("*.wav")) <= 100_000
    assert not paths[1].exists()  # heard longest ago
    assert synth.cache_path("call 5").exists()
    assert not list(tmp_path.glob("tmp-*"))


def test_a_failed_render_leaves_no_file(tmp_path: Path) -> None:
    class Broken(_ToneSynth):
        def _synthesize(self, text: str, out: Path) -> None:
            out.write_bytes(b"RIFF garbage")

    with pytest.raises(SynthesisError, match="tone wrote no usable WAV"):
        Broken(tmp_path).render("x")
    assert list(tmp_path.iterdir()) == []


def test_chime_asset_is_short_small_and_joins_with_speech() -> None:
    info = wav_info(DEFAULT_CHIME)
    assert info.duration < 1.5
    assert DEFAULT_CHIME.stat().st_size < 100_000
    assert wav_levels(DEFAULT_CHIME).rms > 0.05
    # Same format as espeak-ng output, so chime + voice can be one file without resampling.
    assert info.format == (1, 2, 22_050)


def test_voice_engine_modules_import_no_qt() -> None:
    mods = "display.voice.synthesizer, display.voice.tts, display.voice.clips, shared.speech"
    code = f"import sys, {mods}; print(sorted(m for m in sys.modules if 'PySide6' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the command-line tool -------------------------------------------------------------------


def test_cli_prints_the_call_text(capsys: pytest.CaptureFixture[str]) -> None:
    from display.voice.__main__ import main

    assert main(["text", "KTP-023", "12", "--style", "words"]) == 0
    assert capsys.readouterr().out.strip() == (
        "Nomor antrean, K, T, P, dua puluh tiga. Silakan menuju loket dua belas."
    )
    assert main(["text", "A-1", "3"]) == 1
    assert "bad ticket label 'A-1'" in capsys.readouterr().err
    assert main(["text", "KTP-023", "12", "--style", "words", "--recall"]) == 0
    assert capsys.readouterr().out.strip() == (
        "Panggilan ulang. Nomor antrean, K, T, P, dua puluh tiga. Silakan menuju loket dua belas."
    )


@needs_espeak
def test_cli_renders_chime_plus_voice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from display.voice.__main__ import main

    out = tmp_path / "call.wav"
    assert main(["render", "A-001", "3", "--engine", "espeak-ng", "--out", str(out)]) == 0
    voice_only = tmp_path / "voice.wav"
    args = ["render", "A-001", "3", "--engine", "espeak-ng", "--no-chime", "--out"]
    assert main([*args, str(voice_only)]) == 0
    # The chime (1.3 s) and the 0.3 s gap come first.
    extra = wav_info(out).duration - wav_info(voice_only).duration
    assert extra == pytest.approx(wav_info(DEFAULT_CHIME).duration + 0.3, abs=0.01)
    assert "Nomor antrean, A, nol, nol, satu." in capsys.readouterr().out
