"""The browser counter's live stream: what it sends after what it sent (web.petugas.live_update).
Only the clock moved (a timer, a longest wait): only those texts; nothing changed: nothing;
anything else: the whole part."""

from __future__ import annotations

import json

from web.petugas import live_update

PAGE = ('<p id="ticket-label">KTP-001</p><p id="timers">Dipanggil <span id="timer" data-tick>'
        '{t}</span></p><button data-action="start">Mulai</button>'
        '<p class="queue">KTP-el: 1 · terlama <span data-tick>{w}</span></p>')
STATE = {"screen": "counter", "online": True, "busy": None, "enabled": ["start"]}


def test_the_first_render_is_the_whole_part() -> None:
    update = live_update(PAGE.format(t="00:01", w="5 detik"), STATE, None)
    assert update is not None
    event, payload, _ = update
    assert event == "page" and json.loads(payload)["html"] == PAGE.format(t="00:01", w="5 detik")


def test_only_the_clock_moved_sends_only_the_clock_and_nothing_twice() -> None:
    first = live_update(PAGE.format(t="00:01", w="5 detik"), STATE, None)
    assert first is not None
    second = live_update(PAGE.format(t="00:02", w="6 detik"), STATE, first[2])
    assert second is not None
    assert second[0] == "tick" and json.loads(second[1]) == ["00:02", "6 detik"]
    assert live_update(PAGE.format(t="00:02", w="6 detik"), STATE, second[2]) is None


def test_a_real_change_sends_the_whole_part() -> None:
    first = live_update(PAGE.format(t="00:01", w="5 detik"), STATE, None)
    assert first is not None
    other = live_update(PAGE.format(t="00:01", w="5 detik").replace("Dipanggil", "Dilayani"), STATE,
                        first[2])
    assert other is not None and other[0] == "page"
    busy = live_update(PAGE.format(t="00:02", w="6 detik"),
                       {**STATE, "busy": "start", "enabled": []}, first[2])
    assert busy is not None and busy[0] == "page"
