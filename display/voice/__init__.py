"""The hall voice: render announcements to WAV (no Qt) and play them in order (Qt).

Qt-free modules: `synthesizer`, `tts` (pyttsx3 worker process), `clips`, `wavfile`.
Qt modules: `audio` (audio outputs) and `announcer`. This package file imports neither, so
the speech worker process, which re-imports its parent packages, never loads Qt.
"""

from __future__ import annotations

from pathlib import Path

# The chime played before each call. Lives in the source tree's assets/, next to the packages.
DEFAULT_CHIME = Path(__file__).resolve().parents[2] / "assets" / "sounds" / "chime.wav"
