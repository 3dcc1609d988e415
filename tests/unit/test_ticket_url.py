"""The ticket's address: built and read back, whatever a phone or a scanner adds to it."""

from __future__ import annotations

import pytest

from shared.ticket_url import (
    SECRET_LENGTH,
    TicketRef,
    new_secret,
    parse_ticket_ref,
    ticket_path,
    ticket_url,
)


def test_secrets_are_long_random_hex() -> None:
    made = {new_secret() for _ in range(200)}
    assert len(made) == 200
    assert all(len(s) == SECRET_LENGTH and int(s, 16) >= 0 and "-" not in s for s in made)
    assert SECRET_LENGTH * 4 >= 64


@pytest.mark.parametrize("public_url", ["http://antrean.mpp.local:8080", "http://10.0.0.5/"])
def test_an_address_reads_back_as_its_ticket(public_url: str) -> None:
    secret = new_secret()
    url = ticket_url(public_url, "20261202-KTP-001", secret)
    assert "//t/" not in url
    assert parse_ticket_ref(url) == TicketRef("20261202-KTP-001", secret)
    assert parse_ticket_ref(ticket_path("20261202-KTP-001", secret)) == TicketRef(
        "20261202-KTP-001", secret)
    assert parse_ticket_ref(f"{url}?utm=x#top") == TicketRef("20261202-KTP-001", secret)
    assert parse_ticket_ref(f"  {url}/\n") == TicketRef("20261202-KTP-001", secret)


def test_a_legacy_payload_names_the_ticket_without_a_secret() -> None:
    assert parse_ticket_ref("ANTREAN:20261130-KTP-001") == TicketRef("20261130-KTP-001", None)


@pytest.mark.parametrize("text", [
    "", "hello", "http://x/t/20261202-KTP-001", "http://x/t/20261202-KTP-001-1234",
    "http://x/t/20261202-KTP-001-" + "G" * SECRET_LENGTH, "ANTREAN:", "ANTREAN:KTP-001",
    "/t/" + "0" * SECRET_LENGTH,
])
def test_anything_else_is_no_ticket(text: str) -> None:
    assert parse_ticket_ref(text) is None
