"""The Announcer: calls in order, never overlapping, failures reported and skipped."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtMultimedia import QMediaDevices
from pytestqt.qtbot import QtBot

from display.voice import DEFAULT_CHIME
from display.voice.announcer import Announcer
from display.voice.audio import QtAudioOutput, RecordingAudioOutput
from display.voice.synthesizer import SynthesisError, Synthesizer
from display.voice.tts import Pyttsx3Synthesizer
from display.voice.wavfile import wav_info, wav_levels
from shared.speech import call_text, default_voice


def write_tone(path: Path, seconds: float = 0.2) -> None:
    rate = 22_050
    frame = (4000).to_bytes(2, "little", signed=True) + (-4000).to_bytes(2, "little", signed=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frame * int(seconds * rate / 2))


class ToneSynth(Synthesizer):
    """Renders any text as a short tone; fails on texts containing GAGAL ("failure")."""

    engine = "tone"

    def __init__(self, cache_dir: Path, gate: threading.Event | None = None) -> None:
        super().__init__(cache_dir)
        self.gate = gate
        self.render_threads: set[str] = set()

    def settings(self) -> dict[str, object]:
        return {}

    def _synthesize(self, text: str, out: Path) -> None:
        self.render_threads.add(threading.current_thread().name)
        if self.gate is not None and not self.gate.wait(timeout=10):
            raise SynthesisError("test gate never opened")
        if "GAGAL" in text:
            raise SynthesisError("engine exploded")
        write_tone(out)


class Recorder:
    """Every announcer signal, in the order it was emitted."""

    def __init__(self, announcer: Announcer) -> None:
        self.events: list[tuple[str, ...]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        announcer.queued.connect(lambda k: self.events.append(("queued", k)))
        announcer.started.connect(self._started)
        announcer.finished.connect(self._ended("finished"))
        announcer.failed.connect(lambda k, r: self._end("failed", k, r))
        announcer.speaking.connect(lambda on: self.events.append(("speaking", str(on))))

    def _started(self, key: str) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.events.append(("started", key))

    def _ended(self, kind: str) -> Callable[[str], None]:
        return lambda key: self._end(kind, key)

    def _end(self, kind: str, key: str, *reason: str) -> None:
        if ("started", key) in self.events:
            self.in_flight -= 1
        self.events.append((kind, key, *reason))

    def of(self, kind: str) -> list[str]:
        return [e[1] for e in self.events if e[0] == kind]

    def ended(self) -> int:
        return len(self.of("finished")) + len(self.of("failed"))


MakeAnnouncer = Callable[..., tuple[Announcer, Recorder]]


@pytest.fixture
def output() -> RecordingAudioOutput:
    return RecordingAudioOutput()


@pytest.fixture
def make_announcer(qtbot: QtBot) -> Iterator[MakeAnnouncer]:
    made: list[Announcer] = []

    def make(synth: Synthesizer, out: object, **kwargs: object) -> tuple[Announcer, Recorder]:
        announcer = Announcer(synth, out, **kwargs)  # type: ignore[arg-type]
        made.append(announcer)
        return announcer, Recorder(announcer)

    yield make
    for a in made:
        a.shutdown()


def test_ten_rapid_calls_play_in_order_never_overlapping(
    qtbot: QtBot, tmp_path: Path, output: RecordingAudioOutput, make_announcer: MakeAnnouncer
) -> None:
    synth = ToneSynth(tmp_path)
    announcer, rec = make_announcer(synth, output)
    keys = [f"A-{i:03d}" for i in range(1, 11)]
    for key in keys:
        announcer.announce(key, f"Nomor antrean {key}")
    assert rec.of("queued") == keys  # queued at once, synchronously
    qtbot.waitUntil(lambda: rec.ended() == 10, timeout=5000)

    play_events = [e for e in rec.events if e[0] in ("started", "finished", "failed")]
    expected = [(kind, k) for k in keys for kind in ("started", "finished")]
    assert play_events == expected  # strictly started/finished pairs: never two in flight
    assert rec.max_in_flight == 1
    assert output.max_in_flight == 1
    voices = [synth.cache_path(f"Nomor antrean {k}") for k in keys]
    assert output.played == [p for v in voices for p in (DEFAULT_CHIME, v)]
    assert announcer.pending() == 0
    # Synthesis ran on the announcer's thread, never the GUI thread.
    assert synth.render_threads and all(
        n.startswith("antrean-voice") for n in synth.render_threads
    )


def test_repeat_plays_chime_once_then_the_voice_n_times(
    qtbot: QtBot, tmp_path: Path, output: RecordingAudioOutput, make_announcer: MakeAnnouncer
) -> None:
    synth = ToneSynth(tmp_path)
    announcer, rec = make_announcer(synth, output, repeat=3, pause_ms=100)
    with qtbot.waitSignal(announcer.finished, timeout=5000):
        announcer.announce("k", "Nomor antrean, A, satu")
    voice = synth.cache_path("Nomor antrean, A, satu")
    assert output.played == [DEFAULT_CHIME, voice, voice, voice]
    assert rec.of("started") == rec.of("finished") == ["k"]
    # The pause separates the repeats (so listeners hear two calls), not chime and voice.
    t = output.started_at
    assert t[2] - t[1] >= 0.09 and t[3] - t[2] >= 0.09
    assert t[1] - t[0] < 0.09


def test_failed_synthesis_is_reported_and_the_next_call_still_plays(
    qtbot: QtBot, tmp_path: Path, output: RecordingAudioOutput, make_announcer: MakeAnnouncer
) -> None:
    announcer, rec = make_announcer(ToneSynth(tmp_path), output)
    announcer.announce("bad", "GAGAL")
    announcer.announce("good", "Nomor antrean, B, satu")
    qtbot.waitUntil(lambda: rec.ended() == 2, timeout=5000)
    assert ("failed", "bad", "speech could not be rendered: engine exploded") in rec.events
    assert "bad" not in rec.of("started")
    assert rec.of("finished") == ["good"]


def test_an_audio_failure_is_reported_and_the_next_call_still_plays(
    qtbot: QtBot, tmp_path: Path, make_announcer: MakeAnnouncer
) -> None:
    synth = ToneSynth(tmp_path)
    broken = synth.cache_path("first")
    out = RecordingAudioOutput(fail_for=lambda p: "speaker unplugged" if p == broken else None)
    announcer, rec = make_announcer(synth, out)
    announcer.announce("first", "first")
    announcer.announce("second", "second")
    qtbot.waitUntil(lambda: rec.ended() == 2, timeout=5000)
    assert rec.of("started") == ["first", "second"]
    assert ("failed", "first", "speaker unplugged") in rec.events
    assert rec.of("finished") == ["second"]


def test_speaking_brackets_a_burst_once_for_ducking(
    qtbot: QtBot, tmp_path: Path, output: RecordingAudioOutput, make_announcer: MakeAnnouncer
) -> None:
    announcer, rec = make_announcer(ToneSynth(tmp_path), output)
    for i in range(3):
        announcer.announce(f"k{i}", f"text {i}")
    qtbot.waitUntil(lambda: rec.ended() == 3, timeout=5000)
    speaking = [e for e in rec.events if e[0] == "speaking"]
    assert speaking == [("speaking", "True"), ("speaking", "False")]
    assert rec.events.index(("speaking", "True")) < rec.events.index(("started", "k0"))
    assert rec.events[-1] == ("speaking", "False")
    assert not announcer.is_speaking


def test_a_slow_engine_never_blocks_the_gui_thread(
    qtbot: QtBot, tmp_path: Path, output: RecordingAudioOutput, make_announcer: MakeAnnouncer
) -> None:
    gate = threading.Event()
    announcer, rec = make_announcer(ToneSynth(tmp_path, gate), output)
    t0 = time.perf_counter()
    announcer.announce("slow", "Nomor antrean, C, satu")
    assert time.perf_counter() - t0 < 0.1
    # While the engine is stuck the event loop keeps running: a timer still fires.
    ticker = QTimer()
    ticker.setSingleShot(True)
    with qtbot.waitSignal(ticker.timeout, timeout=1000):
        ticker.start(20)
    assert rec.of("started") == []
    with qtbot.waitSignal(announcer.finished, timeout=5000):
        gate.set()
    assert rec.of("started") == ["slow"]


def test_shutdown_drops_the_queue_and_refuses_new_calls(
    qtbot: QtBot, tmp_path: Path, output: RecordingAudioOutput, make_announcer: MakeAnnouncer
) -> None:
    gate = threading.Event()
    announcer, rec = make_announcer(ToneSynth(tmp_path, gate), output)
    announcer.announce("a", "a")
    announcer.announce("b", "b")
    announcer.shutdown()
    gate.set()
    with qtbot.waitSignal(announcer.failed, timeout=1000) as late:
        announcer.announce("c", "c")
    assert late.args == ["c", "announcer is shut down"]
    assert announcer.pending() == 0
    assert rec.of("started") == []


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_a_real_call_through_the_worker_process(
    qtbot: QtBot, tmp_path: Path, output: RecordingAudioOutput, make_announcer: MakeAnnouncer
) -> None:
    synth = Pyttsx3Synthesizer(tmp_path)
    try:
        announcer, rec = make_announcer(synth, output)
        text = call_text("A-001", 3, default_voice())
        with qtbot.waitSignal(announcer.finished, timeout=15_000):
            announcer.announce("A-001", text)
        assert rec.of("started") == ["A-001"]
        chime, voice = output.played
        assert chime == DEFAULT_CHIME
        assert 2.0 <= wav_info(voice).duration <= 8.0
        assert wav_levels(voice).rms > 0.02
    finally:
        synth.close()


@pytest.mark.skipif(
    bool(QMediaDevices.audioOutputs()), reason="this test is for machines without a sound card"
)
def test_no_audio_device_is_a_failure_not_a_freeze(
    qtbot: QtBot, tmp_path: Path, make_announcer: MakeAnnouncer
) -> None:
    out = QtAudioOutput()
    announcer, rec = make_announcer(ToneSynth(tmp_path), out)
    announcer.announce("a", "a")
    announcer.announce("b", "b")
    qtbot.waitUntil(lambda: rec.ended() == 2, timeout=5000)
    assert [e[:2] for e in rec.events if e[0] == "failed"] == [("failed", "a"), ("failed", "b")]
    assert all("no audio device" in e[2] for e in rec.events if e[0] == "failed")


# Without a sound card the FFmpeg backend warns once per file; that is the situation tested.
@pytest.mark.qt_log_ignore("No audio device detected")
def test_qt_player_path_always_ends_with_a_signal(qtbot: QtBot, tmp_path: Path) -> None:
    # Forces the QMediaPlayer path even without a sound card: whatever the backend does with
    # the file, the output must end with done or failed (the watchdog backs that up).
    out = QtAudioOutput(has_device=lambda: True, margin_seconds=2.0)
    ended: list[str] = []
    out.done.connect(lambda: ended.append("done"))
    out.failed.connect(lambda r: ended.append(f"failed: {r}"))
    tone = tmp_path / "tone.wav"
    write_tone(tone, 0.3)
    out.play(tone)
    assert ended == []  # never synchronously from play()
    qtbot.waitUntil(lambda: len(ended) == 1, timeout=5000)
    out.play(tone)  # the same file again (a repeat) ends too
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=5000)
    out.play(tmp_path / "missing.wav")
    qtbot.waitUntil(lambda: len(ended) == 3, timeout=5000)
    assert ended[2].startswith("failed: ") and "missing.wav" in ended[2]
