"""One hall board, put together: link -> BoardCore -> BoardWindow, plus the voice and media.

`BoardApp` is what `antrean display` runs and what the demo embeds. It owns the pieces it
makes (announcer, state file, media area) and closes them; the link belongs to the caller.
Failure to set up the voice never stops the board: it runs silent with "Suara papan
bermasalah" on its staff line, and the reason is logged for IT staff.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Slot

from display.board import BoardWindow, load_logo
from display.core import AnnouncedStore, Announcing, BoardCore
from display.media import MediaArea
from shared.clock import Clock
from shared.config import HallConfig
from shared.station.link import StationLink

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoardOptions:
    agencies: list[str] | None = None
    zone: str | None = None
    media: Path | None = None
    voice: bool = True
    size: tuple[int, int] = (1920, 1080)
    state_path: Path | None = None  # where the last announced call is kept; None: memory
    voice_cache: Path | None = None


def default_state_path(device: str, beside: str | None) -> Path:
    """Next to the replica (or the ledger file) when there is one, else in the user's state
    folder: the board must find it again after a restart, whatever the working directory."""
    name = f"{device}-announced.db"
    if beside:
        return Path(beside).resolve().with_name(name)
    base = os.environ.get("XDG_STATE_HOME") or os.environ.get("LOCALAPPDATA")
    root = Path(base) if base else Path.home() / ".local" / "state"
    return root / "antrean" / name


@dataclass
class HallVoice:
    announcer: QObject | None
    synthesizer: object | None  # closed with the board (it owns a worker process)
    problem: str = ""


def make_voice(config: HallConfig, cache_dir: Path | None,
               parent: QObject | None = None) -> HallVoice:
    """The hall voice (pyttsx3 in a worker process, Qt Multimedia to the speakers), or no
    announcer and the reason it could not be made."""
    try:
        from display.voice.announcer import Announcer, default_cache_dir
        from display.voice.audio import QtAudioOutput
        from display.voice.tts import Pyttsx3Synthesizer

        synth = Pyttsx3Synthesizer.from_voice(cache_dir or default_cache_dir(), config.voice)
        output = QtAudioOutput(parent, volume=config.voice.volume)
        announcer = Announcer(synth, output, repeat=config.voice.repeat, parent=parent)
        return HallVoice(announcer, synth)
    except Exception as e:  # a board without voice still shows every call
        log.exception("voice could not be set up; the board runs silent")
        return HallVoice(None, None, f"{type(e).__name__}: {e}")


class BoardApp(QObject):
    def __init__(self, link: StationLink, config: HallConfig, options: BoardOptions,
                 announcer: Announcing | None = None, clock: Clock | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.config = config
        self.options = options
        self.voice: HallVoice | None = None
        if announcer is None and options.voice:
            self.voice = make_voice(config, options.voice_cache, self)
            announcer = self.voice.announcer  # type: ignore[assignment]
        self.announcer = announcer
        self.store = AnnouncedStore(options.state_path, board=link.device)
        self.core = BoardCore(link, config, announcer, self.store, clock=clock,
                              agencies=options.agencies, zone=options.zone)
        self.media = MediaArea.from_folder(options.media)
        speaking = getattr(announcer, "speaking", None)
        if self.media is not None and speaking is not None:
            speaking.connect(self.media.set_ducked)
        self.window = BoardWindow(self.core, media=self.media,
                                  logo=load_logo(config, hall_files=link.hall_files),
                                  size=options.size)
        if self.voice is not None and self.voice.problem:
            self.core.report_voice_problem(self.voice.problem)
        # The MPP's logo fetched from the hub after the board started: shown from then on.
        link.hall_files_changed.connect(self._hall_files_arrived)

    @Slot()
    def _hall_files_arrived(self) -> None:
        logo = load_logo(self.link.config, hall_files=self.link.hall_files)
        if logo is not None:
            self.window.header.logo = logo
            self.window.header.update()

    def start(self) -> None:
        self.core.start()

    def close(self) -> None:
        if self.media is not None:
            self.media.stop()
        if self.voice is not None:
            shutdown = getattr(self.voice.announcer, "shutdown", None)
            if shutdown is not None:
                shutdown()
            close = getattr(self.voice.synthesizer, "close", None)
            if close is not None:
                close()
        self.window.close()
        self.core.close()
