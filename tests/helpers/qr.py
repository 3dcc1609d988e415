"""Reading a ticket's QR code back the way a phone camera does: from the raster image in the
ESC/POS bytes a printer receives, or from the pixels the kiosk shows (zxing-cpp decodes it;
nothing is read from the kiosk's memory)."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QPixmap

RASTER = b"\x1dv0"  # GS v 0: a raster bit image (the kiosk's QR unless the printer draws it)


def raster_images(escpos: bytes) -> list[Image.Image]:
    """Every GS v 0 raster image in a print job, as the head would burn it (1 = a black dot,
    most significant bit first)."""
    images = []
    at = escpos.find(RASTER)
    while at >= 0:
        width_bytes = escpos[at + 4] | escpos[at + 5] << 8
        height = escpos[at + 6] | escpos[at + 7] << 8
        start = at + 8
        data = escpos[start:start + width_bytes * height]
        assert len(data) == width_bytes * height, "a raster image cut short"
        # Mode "1" wants 1 = white: the printer's 1 is a black dot.
        img = Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in data))
        images.append(img)
        at = escpos.find(RASTER, start + len(data))
    return images


def with_margin(img: Image.Image, margin: int = 40) -> Image.Image:
    """The image on white paper around it, as a camera sees a ticket."""
    out = Image.new("L", (img.width + 2 * margin, img.height + 2 * margin), 255)
    out.paste(img.convert("L"), (margin, margin))
    return out


def decode_qr(img: Image.Image) -> list[str]:
    """The texts of the QR codes zxing-cpp finds in an image."""
    found = zxingcpp.read_barcodes(with_margin(img), formats=zxingcpp.BarcodeFormat.QRCode)
    return [b.text for b in found]


def printed_qr_texts(escpos: bytes) -> list[str]:
    return [text for img in raster_images(escpos) for text in decode_qr(img)]


def pixmap_image(pixmap: QPixmap) -> Image.Image:
    """A Qt pixmap as a PIL image (through PNG, lossless)."""
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    assert pixmap.save(buf, "PNG")
    return Image.open(io.BytesIO(bytes(buf.data().data()))).convert("L")
