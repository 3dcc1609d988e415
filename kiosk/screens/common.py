"""Look and building blocks shared by the kiosk's screens.

High contrast for a bright hall and older eyes: near-black on white, white on dark blue (contrast
above 10:1), no information carried by colour alone (a closed service also says so in words).
Sizes are in "kiosk pixels" for a 1080-pixel short side and scaled to the real screen, so the
body text is at least 28 px and the ticket number at least 200 px on a 1080-wide portrait screen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.ticket import qr_matrix

INK = "#111111"
WHITE = "#FFFFFF"
BLUE = "#0A3D8F"
BLUE_PRESSED = "#062A63"
PAPER = "#F2F5FA"  # tile background, a hint of blue so tiles read as buttons
BORDER = "#5A6B85"
CLOSED_BG = "#E4E4E4"
CLOSED_INK = "#333333"
RED = "#9B1C1C"
GREEN = "#14632B"
NOTICE_BG = "#FFF1C2"
NOTICE_INK = "#4A3300"
FONT = "DejaVu Sans"
NUMBER_FONT = "DejaVu Sans Condensed"  # narrower digits: "KTP-023" fits ≥ 200 px on 1080


def stylesheet(u: float) -> str:
    """The whole kiosk's style for a scale `u` (screen short side / 1080)."""

    def px(n: float) -> str:
        return f"{max(1, round(n * u))}px"

    return f"""
    QWidget#KioskWindow, QStackedWidget, QWidget[screen="true"] {{ background: {WHITE}; }}
    * {{ font-family: "{FONT}"; }}
    QLabel {{ color: {INK}; font-size: {px(32)}; background: transparent; }}
    QLabel[role="title"] {{ font-size: {px(60)}; font-weight: bold; }}
    QLabel[role="hint"] {{ font-size: {px(32)}; color: #333333; }}
    QLabel[role="huge"] {{ font-size: {px(64)}; font-weight: bold; }}
    QLabel[role="number"] {{ font-size: {px(250)}; font-weight: bold; color: {INK}; }}
    QLabel[role="big"] {{ font-size: {px(44)}; font-weight: bold; }}
    QLabel[role="body"] {{ font-size: {px(36)}; }}
    QLabel[role="header"] {{ font-size: {px(32)}; font-weight: bold; color: {WHITE}; }}
    QLabel[role="header_time"] {{ font-size: {px(32)}; color: {WHITE}; }}
    QLabel[role="page"] {{ font-size: {px(30)}; color: #333333; }}
    QLabel[role="dots"] {{ font-size: {px(36)}; color: {BLUE}; letter-spacing: {px(6)}; }}
    QLabel[role="tile_name"] {{ font-size: {px(34)}; font-weight: bold; }}
    QLabel[role="requirements"] {{ font-size: {px(30)}; background: {PAPER};
        border-left: {px(8)} solid {BLUE}; padding: {px(12)} {px(18)}; }}
    QLabel[role="tile_text"] {{ font-size: {px(28)}; color: #222222; }}
    QLabel[role="initials"] {{ font-size: {px(34)}; font-weight: bold; color: {WHITE};
        background: {BLUE}; border-radius: {px(12)}; }}
    QLabel[role="badge"] {{ font-size: {px(28)}; font-weight: bold; color: {WHITE};
        background: {RED}; border-radius: {px(8)}; padding: {px(4)} {px(14)}; }}
    QLabel[role="priority_badge"] {{ font-size: {px(40)}; font-weight: bold; color: {WHITE};
        background: {GREEN}; border-radius: {px(10)}; padding: {px(6)} {px(20)}; }}
    QLabel[role="status_ok"] {{ font-size: {px(40)}; font-weight: bold; color: {GREEN}; }}
    QLabel[role="status_busy"] {{ font-size: {px(40)}; font-weight: bold; color: {BLUE}; }}
    QLabel[role="status_failed"] {{ font-size: {px(38)}; font-weight: bold; color: {WHITE};
        background: {RED}; border-radius: {px(14)}; }}
    QLabel[role="error"] {{ font-size: {px(36)}; font-weight: bold; color: {RED}; }}
    QLabel[role="visitor_notice"] {{ font-size: {px(34)}; font-weight: bold; color: {NOTICE_INK};
        background: {NOTICE_BG}; border: {px(3)} solid #B58A00; border-radius: {px(14)}; }}
    QLabel[role="notice"] {{ font-size: {px(22)}; color: {NOTICE_INK}; background: {NOTICE_BG};
        border-radius: {px(6)}; padding: {px(4)} {px(12)}; }}
    QLabel[role="pin_dots"] {{ font-size: {px(72)}; font-weight: bold; letter-spacing: {px(16)}; }}
    QWidget[role="header_bar"] {{ background: {BLUE}; }}
    QWidget[role="veil"] {{ background: rgba(17, 17, 17, 170); }}
    QWidget[role="countdown_panel"] {{ background: {WHITE}; border: {px(6)} solid {BLUE};
        border-radius: {px(28)}; }}
    QPushButton {{ font-size: {px(36)}; border-radius: {px(18)}; padding: {px(12)} {px(28)};
        min-height: {px(110)}; }}
    QPushButton[role="primary"] {{ background: {BLUE}; color: {WHITE}; border: none;
        font-weight: bold; }}
    QPushButton[role="primary"]:pressed {{ background: {BLUE_PRESSED}; }}
    QPushButton[role="giant"] {{ background: {BLUE}; color: {WHITE}; border: none;
        font-weight: bold; font-size: {px(60)}; min-height: {px(220)};
        border-radius: {px(28)}; }}
    QPushButton[role="giant"]:pressed {{ background: {BLUE_PRESSED}; }}
    QPushButton[role="secondary"] {{ background: {WHITE}; color: {BLUE};
        border: {px(4)} solid {BLUE}; font-weight: bold; }}
    QPushButton[role="choice"] {{ background: {WHITE}; color: {BLUE};
        border: {px(4)} solid {BLUE}; font-weight: bold; font-size: {px(32)};
        min-height: {px(96)}; }}
    QPushButton[role="choice"]:pressed {{ background: {PAPER}; }}
    QPushButton[role="secondary"]:pressed {{ background: {PAPER}; }}
    QPushButton[role="language"] {{ background: {WHITE}; color: {BLUE}; border: none;
        font-weight: bold; font-size: {px(30)}; min-height: {px(80)}; padding: 0 {px(24)}; }}
    QPushButton[role="tile"] {{ background: {PAPER}; border: {px(3)} solid {BORDER};
        border-radius: {px(20)}; padding: {px(14)}; }}
    QPushButton[role="tile"]:pressed {{ background: #D5DEEC; }}
    QPushButton[role="tile_closed"] {{ background: {CLOSED_BG}; border: {px(3)} dashed #777777;
        border-radius: {px(20)}; padding: {px(14)}; }}
    QPushButton[role="key"] {{ background: {PAPER}; color: {INK}; border: {px(3)} solid {BORDER};
        font-size: {px(56)}; font-weight: bold; min-height: {px(130)}; }}
    QPushButton[role="key"]:pressed {{ background: #D5DEEC; }}
    """


def label(text: str = "", role: str = "body", *, wrap: bool = True,
          align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter, name: str = "") -> QLabel:
    w = QLabel(text)
    w.setProperty("role", role)
    w.setWordWrap(wrap)
    w.setAlignment(align)
    w.setTextFormat(Qt.TextFormat.PlainText)  # names come from a config file, never markup
    if name:
        w.setObjectName(name)
    return w


def button(text: str, role: str, on_click: Callable[[], None], name: str = "") -> QPushButton:
    b = QPushButton(text)
    b.setProperty("role", role)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a touchscreen: no focus rings, no keyboard
    # Not connect(on_click): `clicked` passes `checked`, which would land in a lambda's
    # default argument (lambda g=g: ...) and replace it.
    b.clicked.connect(lambda _checked=False: on_click())
    if name:
        b.setObjectName(name)
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return b


def scale_layouts(root: QWidget, u: float) -> None:
    """Margins and spacings of every layout under `root` are written in kiosk pixels where the
    layout is built; this sets them in real pixels for the scale `u`, as the stylesheet does for
    type and buttons, so a small window is the same screen, smaller (not the same margins
    around squashed content)."""
    for layout in root.findChildren(QLayout):
        base = layout.property("kiosk_px")
        if base is None:
            m = layout.contentsMargins()
            if isinstance(layout, QGridLayout):
                gaps = [layout.horizontalSpacing(), layout.verticalSpacing()]
            else:
                gaps = [layout.spacing(), layout.spacing()]
            base = [m.left(), m.top(), m.right(), m.bottom(), *gaps]
            layout.setProperty("kiosk_px", base)
        left, top, right, bottom, across, down = (int(v) for v in base)
        layout.setContentsMargins(*(round(v * u) for v in (left, top, right, bottom)))
        if isinstance(layout, QGridLayout):
            if across >= 0:
                layout.setHorizontalSpacing(round(across * u))
            if down >= 0:
                layout.setVerticalSpacing(round(down * u))
        elif across >= 0:
            layout.setSpacing(round(across * u))


def keep_space_when_hidden(w: QWidget) -> None:
    """A hidden "Sebelumnya" on page 1 must not shift "Berikutnya" around."""
    policy = w.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    w.setSizePolicy(policy)


def restyle(w: QWidget, role: str) -> None:
    if w.property("role") != role:
        w.setProperty("role", role)
        w.style().unpolish(w)
        w.style().polish(w)


def clear_layout(layout: QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        widget = item.widget()
        if widget is not None:
            # Not setParent(None): that makes it a top-level window for a moment. Unnamed, it
            # is no longer found by name (tests look tiles up by name) until it is deleted.
            widget.hide()
            widget.setObjectName("")
            widget.deleteLater()
        elif (inner := item.layout()) is not None:
            clear_layout(inner)


class Tile(QPushButton):
    """A big button holding several lines (name, details, a "closed" badge). Its labels let
    taps through, so the whole tile is one target."""

    def __init__(self, name: str, on_click: Callable[[], None], closed: bool = False,
                 horizontal: bool = False) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setProperty("role", "tile_closed" if closed else "tile")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.clicked.connect(lambda _checked=False: on_click())
        self.box: QBoxLayout = QHBoxLayout(self) if horizontal else QVBoxLayout(self)
        self.box.setContentsMargins(18, 14, 18, 14)
        self.box.setSpacing(8)
        self.texts: list[QLabel] = []

    def add(self, w: QWidget, stretch: int = 0,
            into: QBoxLayout | None = None) -> QWidget:
        w.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        (into or self.box).addWidget(w, stretch)
        if isinstance(w, QLabel):
            self.texts.append(w)
        return w

    def text_content(self) -> str:
        """Everything the tile says, for tests and logs."""
        return " | ".join(t.text() for t in self.texts if t.text())

    def sizeHint(self) -> QSize:
        return self.box.sizeHint()

    def minimumSizeHint(self) -> QSize:
        return QSize(0, 0)


def logo_widget(logo: Path | None, initials: str, size: int) -> QLabel:
    """An agency's logo, or its initials on a blue square when it has none (or it is broken)."""
    w = QLabel()
    w.setAlignment(Qt.AlignmentFlag.AlignCenter)
    w.setFixedSize(size, size)
    pix = QPixmap(str(logo)) if logo is not None else QPixmap()
    if not pix.isNull():
        w.setPixmap(pix.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation))
        w.setProperty("role", "logo")
    else:
        w.setText(initials)
        w.setProperty("role", "initials")
    return w


def qr_pixmap(payload: str, size: int) -> QPixmap:
    """The QR code as a sharp pixmap about `size` pixels square (whole pixels per module, so a
    phone camera sees crisp squares)."""
    matrix = qr_matrix(payload, "M")
    n = len(matrix)
    image = QImage(n, n, QImage.Format.Format_RGB32)
    image.fill(QColor(WHITE))
    dark = QColor(INK).rgb()
    for y, row in enumerate(matrix):
        for x, on in enumerate(row):
            if on:
                image.setPixel(x, y, dark)
    module = max(1, size // n)
    return QPixmap.fromImage(image.scaled(n * module, n * module,
                                          Qt.AspectRatioMode.IgnoreAspectRatio,
                                          Qt.TransformationMode.FastTransformation))


def page_dots(page: int, pages: int) -> str:
    return " ".join("●" if i == page else "○" for i in range(pages))


def grid(columns: int) -> QGridLayout:
    g = QGridLayout()
    g.setSpacing(20)
    for c in range(columns):
        g.setColumnStretch(c, 1)
    return g



class ElidedLabel(QLabel):
    """One line that ends in "…" instead of pushing the window wider (the MPP's long name in
    the header)."""

    def __init__(self, text: str, role: str, name: str = "") -> None:
        super().__init__()
        self.full_text = text
        self.setProperty("role", role)
        self.setObjectName(name)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = QFontMetrics(self.font())
        self.setText(metrics.elidedText(self.full_text, Qt.TextElideMode.ElideRight,
                                        max(10, self.width())))


def fit_font_px(text: str, family: str, max_px: int, width: int, bold: bool = True) -> int:
    """The largest pixel size ≤ max_px at which `text` fits in `width` pixels."""
    font = QFont(family)
    font.setBold(bold)
    font.setPixelSize(max_px)
    advance = QFontMetrics(font).horizontalAdvance(text)
    if advance <= width or advance == 0:
        return max_px
    return max(10, int(max_px * width / advance))
