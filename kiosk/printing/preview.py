"""Draw a `TicketLayout` as a 1-bit image, dot for dot as a thermal printer would.

The kiosk shows it when the printer fails (the visitor still has a number) and tests inspect it.
Geometry follows the printer: font A cells of 12x24 dots magnified by whole numbers, the paper's
dot width (384 for 58 mm, 576 for 80 mm), QR modules as the ESC/POS path prints them.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from kiosk.printing.escpos_render import qr_image
from kiosk.ticket import (
    CELL_HEIGHT_DOTS,
    CELL_WIDTH_DOTS,
    BigNumber,
    Cut,
    Feed,
    QrCode,
    Separator,
    TextLine,
    TicketLayout,
)

# ESC/POS default line spacing is 1/6 inch, about 30 dots: a 24-dot cell plus 6 dots of gap.
LINE_GAP_DOTS = 6
FEED_LINE_DOTS = CELL_HEIGHT_DOTS + LINE_GAP_DOTS
MARGIN_DOTS = 16

# DejaVu Sans Mono has the 0.6 em advance of a 12x24 printer cell at 20 px, and Debian ships it
# (fonts-dejavu-core, installed by scripts/bootstrap.sh).
_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
    Path("C:/Windows/Fonts"),
)
_FONT_FILES = {False: "DejaVuSansMono.ttf", True: "DejaVuSansMono-Bold.ttf"}
_FONT_PX_PER_CELL = 20


@functools.lru_cache(maxsize=32)
def _font(bold: bool, scale: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    size = _FONT_PX_PER_CELL * scale
    for folder in _FONT_DIRS:
        path = folder / _FONT_FILES[bold]
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    # Without DejaVu the preview is still legible, just not in the printer's proportions.
    return ImageFont.load_default(size)


def _text_strip(text: str, align: str, width: int, height: int,
                bold: bool, dot_width: int) -> Image.Image:
    """One printed line: glyphs placed cell by cell, magnified like the printer magnifies."""
    base = min(width, height)
    cell_w, cell_h = CELL_WIDTH_DOTS * base, CELL_HEIGHT_DOTS * base
    strip = Image.new("1", (max(1, cell_w * len(text)), cell_h), 1)
    draw = ImageDraw.Draw(strip)
    font = _font(bold, base)
    for i, ch in enumerate(text):
        if ch != " ":
            # Centre each glyph in its cell, as a bitmap printer font is drawn.
            draw.text((i * cell_w + cell_w / 2, cell_h / 2), ch, font=font, fill=0, anchor="mm")
    if (width, height) != (base, base):
        # The printer stretches its cells by whole numbers; so do we (no smoothing).
        strip = strip.resize(
            (CELL_WIDTH_DOTS * width * len(text), CELL_HEIGHT_DOTS * height),
            Image.Resampling.NEAREST,
        )
    line = Image.new("1", (dot_width, strip.height), 1)
    free = dot_width - strip.width
    x = {"left": 0, "center": free // 2, "right": free}[align]
    line.paste(strip, (max(0, x), 0))
    return line


def render_png(layout: TicketLayout) -> Image.Image:
    """The ticket as a 1-bit image (0 = printed dot) exactly `layout.dot_width` wide."""
    pieces: list[tuple[int, Image.Image | None]] = []  # (height, image or blank space)
    width = layout.dot_width
    for block in layout.blocks:
        if isinstance(block, TextLine):
            img = _text_strip(block.text, block.align, block.width,
                              block.height, block.bold, width)
            pieces.append((img.height + LINE_GAP_DOTS, img))
        elif isinstance(block, BigNumber):
            img = _text_strip(block.text, "center", block.width,
                              block.height, True, width)
            pieces.append((img.height + LINE_GAP_DOTS, img))
        elif isinstance(block, Separator):
            img = _text_strip(block.char * layout.columns, "left", 1, 1,
                              False, width)
            pieces.append((img.height + LINE_GAP_DOTS, img))
        elif isinstance(block, QrCode):
            img = qr_image(block.payload, block.module_dots, block.error_level, width)
            pieces.append((img.height + LINE_GAP_DOTS, img))
        elif isinstance(block, Feed):
            pieces.append((FEED_LINE_DOTS * block.lines, None))
        elif isinstance(block, Cut):
            # The real printer feeds six lines past the cutter; a preview needs only a margin.
            pieces.append((MARGIN_DOTS, None))
    height = MARGIN_DOTS + sum(h for h, _ in pieces)
    page = Image.new("1", (width, height), 1)
    y = MARGIN_DOTS
    for h, piece in pieces:
        if piece is not None:
            page.paste(piece.crop((0, 0, width, piece.height)), (0, y))
        y += h
    return page
