"""The hall's uploaded files (agency logos) kept by the hub, so every station gets them.

A logo uploaded in the console is sent to the hub (`PUT /assets/logos/<name>`, admin role)
before the config that names it is recorded; each station fetches what the config in force
names (`GET /assets/logos/<name>`, any enrolled station) into its own cache (shared.station.
hall_files). The hub keeps them in `<ledger dir>/assets/logos/`, which `antrean backup run`
copies along with the ledger.

Names are content-addressed: `<agency code>-<first 12 hex of the file's sha256>.png|jpg`. A
name therefore stands for one content only: writing is idempotent, never replaces a different
file, and a station checks what it fetched against the name.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import uuid
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from shared.ledger.files import private_file

LOGO_PREFIX = "assets/logos"  # how a config names an uploaded logo: assets/logos/<name>
LOGO_MAX_BYTES = 512 * 1024
LOGO_MIN_PX, LOGO_MAX_PX = 64, 2048
# Pillow's format -> the file's extension.
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg"}
# An agency code as the console writes it (lower case), then the hash's first 12 hex digits.
LOGO_NAME = re.compile(r"[a-z0-9_-]{1,32}-(?P<digest>[0-9a-f]{12})\.(?P<ext>png|jpg)")


class AssetError(ValueError):
    """An upload refused: what is wrong, in English (the hub's reply and log)."""


def logo_dir(ledger_path: str | Path) -> Path:
    """Where the hub keeps uploaded logos: beside its ledger."""
    return Path(ledger_path).parent / LOGO_PREFIX


def logo_name(code: str, body: bytes, ext: str) -> str:
    return f"{code.lower()}-{hashlib.sha256(body).hexdigest()[:12]}.{ext}"


def logo_in_config(path: str | None) -> str | None:
    """The file name of a config's `logo` when it names an uploaded logo
    (assets/logos/<name> of the content-addressed kind), else None."""
    if not path or not path.startswith(LOGO_PREFIX + "/"):
        return None
    name = path[len(LOGO_PREFIX) + 1:]
    return name if LOGO_NAME.fullmatch(name) else None


def image_kind(body: bytes) -> tuple[str, int, int]:
    """(extension, width, height) of a PNG or JPEG by its content; AssetError otherwise."""
    try:
        with Image.open(io.BytesIO(body)) as image:
            kind = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        raise AssetError("not a PNG or JPEG image") from None
    if kind not in LOGO_FORMATS:
        raise AssetError(f"a {kind} image, not PNG or JPEG")
    return LOGO_FORMATS[kind], width, height


def check_logo_upload(name: str, body: bytes) -> None:
    """An upload's name and content as the hub accepts them; AssetError saying why not."""
    match = LOGO_NAME.fullmatch(name)
    if match is None:
        raise AssetError(f"bad logo name {name[:80]!r}: <code>-<12 hex>.png or .jpg")
    if len(body) > LOGO_MAX_BYTES:
        raise AssetError(f"the logo is {len(body)} bytes; at most {LOGO_MAX_BYTES}")
    if not hashlib.sha256(body).hexdigest().startswith(match["digest"]):
        raise AssetError("the file's sha256 does not start with the name's 12 hex digits")
    ext, width, height = image_kind(body)
    if ext != match["ext"]:
        raise AssetError(f"a {ext.upper()} image named .{match['ext']}")
    if not (LOGO_MIN_PX <= width <= LOGO_MAX_PX and LOGO_MIN_PX <= height <= LOGO_MAX_PX):
        raise AssetError(f"the logo is {width}x{height} pixels; each side {LOGO_MIN_PX}-"
                         f"{LOGO_MAX_PX}")


def store(folder: Path, name: str, body: bytes) -> bool:
    """Write a checked file under its name, atomically (a partial file never has the name).
    True when written, False when it was there already (the same content, by its name)."""
    path = folder / name
    if path.is_file():
        return False
    # 0600 in a 0700 folder, as every file of the hub and its tools (shared.ledger.files).
    partial = folder / f".{name}.{uuid.uuid4().hex}.part"
    try:
        with os.fdopen(private_file(partial), "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return True
