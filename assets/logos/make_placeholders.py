"""Generate the placeholder logos the example hall refers to (assets/logos/<code>.png).

These are NOT the agencies' real logos: each is a coloured circle with short initials, 256x256,
made so kiosks and boards have something to show. Real logos belong to their agencies; get them
from the agency with permission, never by downloading. Run from anywhere:

    .venv/bin/python assets/logos/make_placeholders.py [config.toml]

It writes one PNG for every `logo` path under assets/logos/ that the config (by default the
example hall) names, and is deterministic, so re-running changes nothing.
"""

from __future__ import annotations

import hashlib
import sys
import tomllib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SIZE = 256
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = ROOT / "shared" / "examples" / "sukoharjo.toml"
# Dark enough for white initials (contrast >= 4.5:1).
PALETTE = ("#1f4e79", "#7a1f1f", "#1e5e3a", "#5b2c83", "#8a4b08", "#0b5563", "#6b2d4f",
           "#3d4f10", "#2e3a8c", "#7d3c00", "#005a52", "#4a4a4a")
# Initials for codes too long to fit in a circle; others use the code itself.
INITIALS = {"mpp": "MPP", "dpmptsp": "PTSP", "dukcapil": "DKC", "dishub": "HUB", "kejari": "KJ",
            "polres": "POL", "samsat": "SMS", "bankjateng": "BJ", "bpjskes": "JKN",
            "bpjstk": "BPJS", "taspen": "TSP", "jasaraharja": "JR", "pegadaian": "PGD",
            "kemenag": "KMG", "disnakertrans": "DNK", "imigrasi": "IMI", "dinsos": "DSS",
            "dinkes": "DKS", "disdagkopukm": "UKM", "disdikbud": "DIK", "kesbangpol": "KBP"}


def initials(stem: str) -> str:
    return INITIALS.get(stem, stem.upper()[:4])


def colour(stem: str) -> str:
    digest = hashlib.sha256(stem.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def placeholder(text: str, fill: str) -> Image.Image:
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, SIZE - 5, SIZE - 5), fill=fill, outline="white", width=6)
    size = {1: 150, 2: 120, 3: 92, 4: 70}[len(text)]
    font = ImageFont.load_default(size=size)
    draw.text((SIZE / 2, SIZE / 2), text, font=font, fill="white", anchor="mm")
    return img


def logo_paths(config: Path) -> list[Path]:
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    paths = [data.get("mpp", {}).get("logo")] + [a.get("logo") for a in data.get("agencies", [])]
    return [ROOT / p for p in paths if isinstance(p, str) and p.startswith("assets/logos/")]


def main(argv: list[str]) -> int:
    config = Path(argv[0]) if argv else DEFAULT_CONFIG
    for path in logo_paths(config):
        path.parent.mkdir(parents=True, exist_ok=True)
        placeholder(initials(path.stem), colour(path.stem)).save(path, optimize=True)
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
