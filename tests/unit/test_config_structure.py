"""console.config_structure without a browser: a queue's new prefix followed by its services
and counters, a queue removed with its services, the loader's complaint placed on the field it
names, the logo check (by content, size and pixels), and the waiting tickets a change would
leave with nobody to call them, counted from a real ledger's tickets table."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from console.config_edit import TomlText
from console.config_structure import (
    FieldError,
    Target,
    apply,
    check_logo,
    loader_field,
    stranded,
)
from console.i18n import Words
from shared.clock import ManualClock
from shared.config import ConfigError, loads_config
from shared.ledger.ledger import Ledger
from tests.helpers.ledger import KIOSK, MONDAY_0900, SMALL_HALL

ID = Words("id")


def image(kind: str, size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, kind)
    return buf.getvalue()


def test_a_new_prefix_is_followed_by_its_services_and_counters() -> None:
    text = TomlText(SMALL_HALL)
    what = apply(text, Target("antrean", "KTP", "DUKCAPIL"), {
        "awalan": "E", "nama": "KTP-el", "urutan": "fifo", "selang": "2"}, ID, remove=False)
    config = loads_config(text.text())
    assert what == "queue KTP now E"
    assert "KTP" not in config.queues and config.queues["E"].policy == "fifo"
    assert {s.queue for s in config.services_of("DUKCAPIL")} == {"E", "KK"}
    assert config.counters[1].queues == ("E", "KK") and config.counters[2].queues == ("E",)


def test_a_queue_removed_takes_its_services_and_leaves_its_counters() -> None:
    text = TomlText(SMALL_HALL)
    apply(text, Target("antrean", "KK", "DUKCAPIL"), {}, ID, remove=True)
    config = loads_config(text.text())
    assert "KK" not in config.queues and "kk" not in config.services
    assert config.counters[1].queues == ("KTP",)
    # The counter that served only it is left with none: the loader says so, naming it.
    text = TomlText(SMALL_HALL)
    apply(text, Target("antrean", "S", "SAMSAT"), {}, ID, remove=True)
    with pytest.raises(ConfigError) as refused:
        loads_config(text.text())
    assert refused.value.field_path == "counters[3].queues"
    assert loader_field(refused.value, "counters", 3) == "antrean"
    assert loader_field(refused.value, "counters", 2) == ""


def test_the_loaders_complaint_goes_next_to_the_field_it_names() -> None:
    text = TomlText(SMALL_HALL)
    apply(text, Target("layanan", "", "DUKCAPIL"), {
        "kode": "baru", "nama": "Baru", "antrean": "KK", "standar": "5",
        "jam_wed": "12:00-08:00"}, ID, remove=False)
    with pytest.raises(ConfigError) as refused:
        loads_config(text.text())
    assert loader_field(refused.value, "services", 3) == "jam_wed"
    with pytest.raises(FieldError) as typed:
        apply(TomlText(SMALL_HALL), Target("layanan", "kk", "DUKCAPIL"), {
            "nama": "KK", "antrean": "KK", "standar": "lima"}, ID, remove=False)
    assert typed.value.name == "standar" and "lima" in typed.value.text


def test_a_logo_is_checked_by_its_content_size_and_pixels() -> None:
    assert check_logo(image("PNG", (128, 128)), ID) == "png"
    assert check_logo(image("JPEG", (300, 120)), ID) == "jpg"
    refusals = {
        "GIF": image("GIF", (128, 128)),
        "text": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        "small": image("PNG", (32, 200)),
        "wide": image("PNG", (3000, 100)),
        "heavy": image("PNG", (128, 128)) + b"\0" * 600_000,
        "cut": image("PNG", (128, 128))[:200],
    }
    said = {}
    for name, body in refusals.items():
        with pytest.raises(FieldError) as refused:
            check_logo(body, ID)
        assert refused.value.name == "logo"
        said[name] = refused.value.text
    assert said["GIF"] == said["text"] == said["cut"] == "Berkas itu bukan gambar PNG atau JPEG."
    assert "32×200 piksel" in said["small"] and "3000×100" in said["wide"]
    assert "terlalu besar" in said["heavy"]


def test_waiting_tickets_left_without_a_way_to_be_called(tmp_path: Path) -> None:
    led = Ledger(tmp_path / "ledger.db", loads_config(SMALL_HALL), ManualClock(MONDAY_0900))
    for service in ("kk", "kk", "pajak-kendaraan"):
        assert led.issue_ticket(service, KIOSK).ok
    day = led.config.service_day(MONDAY_0900).isoformat()
    assert stranded(led.conn, day, loads_config(SMALL_HALL)) == {}
    text = TomlText(SMALL_HALL)
    apply(text, Target("antrean", "KK", "DUKCAPIL"), {}, ID, remove=True)
    assert stranded(led.conn, day, loads_config(text.text())) == {"KK": 2}
    # The service moved to another queue and KK left to no counter: still stranded.
    text = TomlText(SMALL_HALL)
    apply(text, Target("layanan", "kk", "DUKCAPIL"), {
        "nama": "Kartu Keluarga", "antrean": "KTP", "standar": "15"}, ID, remove=False)
    apply(text, Target("loket", "1", "DUKCAPIL"), {
        "nomor": "1", "instansi": "DUKCAPIL", "antrean": "KTP"}, ID, remove=False)
    moved = loads_config(text.text())
    assert moved.counters_for_queue("KK") == []
    assert stranded(led.conn, day, moved) == {"KK": 2}
    led.close()
