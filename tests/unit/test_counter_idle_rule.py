"""The idle sign-out's rule (shared/counter_rules.py), the one the Qt counter and the browser
counter both follow, and the `--idle-minutes` setting both read the same way."""

from __future__ import annotations

import argparse

import pytest

from counter_client import cli as counter_cli
from shared import counter_rules as r
from web import cli as web_cli

DUE = {"signed_in": True, "online": True, "busy": False, "ticket_at_counter": False}


def test_an_idle_officer_at_an_empty_counter_is_due_at_the_idle_time() -> None:
    assert not r.idle_sign_out_due(60, 59.9, **DUE)
    assert r.idle_sign_out_due(60, 60, **DUE)
    assert r.idle_sign_out_due(60, 3600, **DUE)


@pytest.mark.parametrize("why", ["signed_in", "online", "busy", "ticket_at_counter"])
def test_nobody_is_signed_out_when_any_condition_fails(why: str) -> None:
    facts = {**DUE, why: not DUE[why]}
    # Hours past the idle time, still not: no officer, offline (the hub must say it), a
    # command in flight (its answer decides), or a visitor's ticket at the counter.
    assert not r.idle_sign_out_due(60, 10 * 3600, **facts)


@pytest.mark.parametrize("limit", [None, 0, 0.0, -5])
def test_no_idle_time_never_signs_out(limit: float | None) -> None:
    assert not r.idle_sign_out_due(limit, 10 * 24 * 3600, **DUE)


def test_the_default_is_half_an_hour_for_both_counters() -> None:
    from web import petugas

    assert r.IDLE_SIGN_OUT_S == 30 * 60 == petugas.IDLE_SIGN_OUT_S
    p = argparse.ArgumentParser()
    counter_cli.add_arguments(p)
    assert p.parse_args([]).idle_minutes * 60 == r.IDLE_SIGN_OUT_S


@pytest.mark.parametrize(("seconds", "text"), [
    (3, "3 detik"), (1.5, "1.5 detik"), (60, "1 menit"), (90, "1.5 menit"),
    (30 * 60, "30 menit"), (24 * 3600, "1440 menit")])
def test_the_idle_time_as_the_officer_reads_it(seconds: float, text: str) -> None:
    assert r.idle_text(seconds) == text
    assert r.idle_signed_out_text(seconds) == (
        f"Anda keluar otomatis: tidak ada aktivitas selama {text}.")


@pytest.mark.parametrize(("given", "minutes"), [("0", 0.0), ("0.05", 0.05), ("15", 15.0),
                                                ("1440", 1440.0)])
def test_idle_minutes_are_read_alike_by_both_counters(given: str, minutes: float) -> None:
    assert r.parse_idle_minutes(given) == minutes
    for cli in (counter_cli, web_cli):
        p = argparse.ArgumentParser()
        cli.add_arguments(p)
        assert p.parse_args(["--idle-minutes", given]).idle_minutes == minutes


@pytest.mark.parametrize("given", ["-1", "0.01", "1441", "half", "", "nan"])
def test_a_bad_idle_time_is_refused_clearly(given: str, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    with pytest.raises(ValueError, match=r"expected 0 \(never\) or minutes from 0\.05 to 1440"):
        r.parse_idle_minutes(given)
    for cli in (counter_cli, web_cli):
        p = argparse.ArgumentParser(prog="antrean counter")
        cli.add_arguments(p)
        with pytest.raises(SystemExit) as stop:
            p.parse_args(["--idle-minutes", given])
        assert stop.value.code == 2
        assert "--idle-minutes: expected 0 (never)" in capsys.readouterr().err
