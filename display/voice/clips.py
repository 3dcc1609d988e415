"""`ClipSynthesizer`: speaks by joining recorded word clips (a "voice pack"). No Qt here.

A voice pack is a folder of WAV files named after the word they say, lower case:
`nomor.wav`, `antrean.wav`, `silakan.wav`, `menuju.wav`, `loket.wav`, one per letter (`k.wav`
says "ka"), and the number words (`nol.wav` .. `sembilan.wav`, `sepuluh.wav`, `sebelas.wav`,
`belas.wav`, `puluh.wav`, `seratus.wav`, `ratus.wav`, `seribu.wav`, `ribu.wav`), and
`panggilan.wav` and `ulang.wav` for a recall ("Panggilan ulang."). A human recording of ~60
words sounds far better than any synthetic voice and covers every call.
All clips of a pack must share one format (e.g. 22,050 Hz mono 16-bit).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from display.voice.synthesizer import SynthesisError, Synthesizer
from display.voice.wavfile import WavError, join_wavs

# Words (letters only, any script) and the punctuation that becomes a pause.
_TOKEN_RE = re.compile(r"[^\W\d_]+|[0-9]+|[,.;:!?]")
_PAUSES = {",": "comma", ";": "comma", ":": "comma", ".": "stop", "!": "stop", "?": "stop"}


class MissingClipsError(SynthesisError):
    """The pack has no clip for some words; `words` lists them in order of first use."""

    def __init__(self, pack: Path, words: list[str]) -> None:
        self.pack = pack
        self.words = words
        super().__init__(
            f"voice pack {pack} has no clip for: {', '.join(words)} "
            f"(add {', '.join(w + '.wav' for w in words)})"
        )


def words_in(text: str) -> list[str]:
    """The clip names `text` needs, in order, lower case: "Nomor, A" -> ["nomor", "a"]."""
    return [t.lower() for t in _TOKEN_RE.findall(text) if t not in _PAUSES]


class ClipSynthesizer(Synthesizer):
    engine = "clips"

    def __init__(
        self,
        pack_dir: str | os.PathLike[str],
        cache_dir: str | os.PathLike[str],
        *,
        word_gap: float = 0.04,
        comma_pause: float = 0.25,
        stop_pause: float = 0.5,
        max_cache_bytes: int | None = None,
    ) -> None:
        super().__init__(cache_dir, max_cache_bytes=max_cache_bytes)
        self.pack_dir = Path(pack_dir).resolve()
        if not self.pack_dir.is_dir():
            raise SynthesisError(f"voice pack folder {self.pack_dir} does not exist")
        self.gaps = {"word": word_gap, "comma": comma_pause, "stop": stop_pause}

    def clips(self) -> dict[str, Path]:
        """Word -> clip file, read fresh each time so a pack can be updated while running."""
        return {p.stem.lower(): p for p in sorted(self.pack_dir.glob("*.wav"))}

    def missing(self, text: str) -> list[str]:
        have = self.clips()
        return list(dict.fromkeys(w for w in words_in(text) if w not in have))

    def settings(self) -> Mapping[str, object]:
        # Re-recording a clip must not replay the old sound from the cache, so the key covers
        # each clip's name, size and modification time.
        listing = hashlib.sha256()
        for word, p in self.clips().items():
            st = p.stat()
            listing.update(f"{word}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return {"pack": str(self.pack_dir), "clips": listing.hexdigest()[:16], **self.gaps}

    def _synthesize(self, text: str, out: Path) -> None:
        have = self.clips()
        parts: list[Path | float] = []
        missing: list[str] = []
        for token in _TOKEN_RE.findall(text):
            if token in _PAUSES:
                if parts and isinstance(parts[-1], float):
                    parts[-1] = max(parts[-1], self.gaps[_PAUSES[token]])
                elif parts:
                    parts.append(self.gaps[_PAUSES[token]])
                continue
            clip = have.get(token.lower())
            if clip is None:
                missing.append(token.lower())
                continue
            if parts and not isinstance(parts[-1], float):
                parts.append(self.gaps["word"])
            parts.append(clip)
        if missing:
            raise MissingClipsError(self.pack_dir, list(dict.fromkeys(missing)))
        if not parts:
            raise SynthesisError(f"nothing to say in {text!r}")
        try:
            join_wavs(parts, out, trim=True)
        except WavError as e:
            raise SynthesisError(f"voice pack {self.pack_dir}: {e}") from None


def build_clip_pack(
    synthesizer: Synthesizer, words: Iterable[str], folder: str | os.PathLike[str]
) -> Path:
    """Record a pack by rendering each word with `synthesizer` (a stand-in for a human voice).

    Used to make demo and test packs; a hall's real pack is recorded by a person.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for word in dict.fromkeys(w.lower() for w in words):
        if not re.fullmatch(r"[^\W\d_]+", word):
            raise ValueError(f"clip names are single words of letters, not {word!r}")
        # Letters are rendered as capitals: espeak-ng says "K" as [ka] but "k" may be skipped.
        spoken = word.upper() if len(word) == 1 else word
        shutil.copyfile(synthesizer.render(spoken), target / f"{word}.wav")
    return target
