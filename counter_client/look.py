"""The two looks of the counter window, the full window and the side panel: the style sheet
and the choices each part of the window (widgets.py) reads to arrange and word itself. Every
difference between the two is here, side by side in `FULL` and `PANEL`.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.ledger import model as m

NARROW_WIDTH = 1000  # a full window narrower than this leaves the services out of the line

STYLE = """
QWidget { font-family: 'DejaVu Sans'; font-size: 15px; color: #1d2430; }
#root { background: #eef1f5; }
#header { background: #17375e; }
#header QLabel { color: white; }
#counterName { font-size: 22px; font-weight: bold; }
#statusChip { border-radius: 6px; padding: 4px 12px; font-weight: bold; font-size: 16px; }
#offline { background: #b3261e; color: white; font-weight: bold; font-size: 16px;
           padding: 8px 12px; }
#alert { background: #fde7c8; color: #5c2e00; border-bottom: 2px solid #e07b00;
         font-weight: bold; font-size: 16px; padding: 6px 12px; }
#card { background: white; border: 1px solid #c9d1dc; border-radius: 10px; }
#ticketCaption { color: #4a5566; font-size: 16px; }
#ticketLabel { font-size: 64px; font-weight: bold; color: #17375e; }
#ticketService { font-size: 17px; }
#timers { font-size: 16px; color: #333; }
#sla { background: #fde7c8; color: #7a3e00; border: 2px solid #e07b00; border-radius: 6px;
       padding: 6px 10px; font-weight: bold; font-size: 16px; }
#message { border-radius: 6px; padding: 8px 12px; font-size: 16px; min-height: 24px; }
#message[kind="error"] { background: #fbe3e1; color: #8c1d18; border: 1px solid #d9776f; }
#message[kind="done"] { background: #e3f4e6; color: #14532d; border: 1px solid #8cc79a; }
#message[kind="info"] { background: #e6edf7; color: #17375e; border: 1px solid #9db3d3; }
#title { font-size: 26px; font-weight: bold; margin: 12px; }
#sectionTitle { font-size: 17px; font-weight: bold; color: #17375e; }
#figures { background: white; border: 1px solid #c9d1dc; border-radius: 8px; padding: 8px; }
QToolButton, QPushButton { background: white; border: 2px solid #17375e; border-radius: 8px;
    padding: 6px; font-size: 16px; font-weight: bold; color: #17375e; }
QToolButton:disabled, QPushButton:disabled { border-color: #c3c9d2; color: #9aa3ae;
    background: #f4f5f7; }
QToolButton:pressed, QPushButton:pressed { background: #dbe5f3; }
#signOut { padding: 4px 12px; font-size: 14px; }
#boundCounter { font-size: 18px; font-weight: bold; }
#callNext { background: #1b7f3b; border-color: #12602b; color: white; font-size: 26px; }
#callNext:disabled { background: #b9cfc0; border-color: #b9cfc0; color: #eef3ef; }
#primary { background: #17375e; color: white; }
#primary:disabled { background: #c3c9d2; border-color: #c3c9d2; color: white; }
QTableView { background: white; border: 1px solid #c9d1dc; font-size: 15px;
             selection-background-color: #dbe5f3; selection-color: #1d2430; }
QHeaderView::section { background: #e3e8ef; border: none; padding: 4px; font-weight: bold; }
QListWidget { background: white; border: 1px solid #c9d1dc; font-size: 16px; }
QListWidget::item { padding: 8px; border-bottom: 1px solid #eef1f5; }
QListWidget::item:selected { background: #dbe5f3; color: #1d2430; }
QLineEdit, QComboBox { background: white; border: 1px solid #9aa3ae; border-radius: 6px;
    padding: 6px; font-size: 18px; }
"""

PANEL_STYLE = """
QToolButton, QPushButton { font-size: 14px; padding: 3px; }
#callNext { font-size: 22px; }
#ticketLabel { font-size: 46px; }
#ticketCaption, #timers, #sla { font-size: 14px; }
#ticketService { font-size: 15px; }
#counterName { font-size: 19px; }
#title { font-size: 21px; }
"""

STATUS_COLORS = {
    m.COUNTER_OPEN: ("#d8f3df", "#14532d"),
    m.COUNTER_PAUSED: ("#fde7c8", "#7a3e00"),
    m.COUNTER_CLOSED: ("#e3e8ef", "#39424e"),
}


@dataclass(frozen=True)
class Look:
    """What makes the full window or the side panel out of the same parts. Sizes are those of
    scale 1 (a 1366×768 counter PC); the window scales them to the room it gets."""

    name: str  # "full" or "panel"
    style: str
    # Short words and one key named per button: the side panel is ~360 px wide.
    terse: bool
    on_top: bool  # stays above the officer's own agency application
    # The alert banner: how many alerts it lists (beyond, the rest are counted), how many
    # characters of each, and whether it stays beside the offline banner.
    alerts_shown: int
    alert_chars: int
    alerts_offline: bool
    header_rows: bool  # the header on three rows (else one), a long officer's name wrapping
    card_margins: tuple[int, int, int, int]
    card_spacing: int | None  # None: the style's
    call_height: int
    ticket_columns: int
    ticket_button_height: int
    counter_columns: int
    counter_button_height: int
    # The call button and the ticket's buttons take the height they are offered; else they
    # keep their least and the waiting line takes the rest.
    buttons_grow: bool
    # The waiting line asks for little height, without a title or the services' column.
    line_compact: bool
    # The ticket's column beside the line's (3 : 2), the counter's own buttons under the line;
    # else one column, ticket over line.
    side_by_side: bool
    body_margins: tuple[int, int, int, int]
    body_spacing: int
    column_spacing: int


FULL = Look(
    name="full", style=STYLE, terse=False, on_top=False,
    alerts_shown=2, alert_chars=120, alerts_offline=True,
    header_rows=False, card_margins=(16, 8, 16, 10), card_spacing=None,
    call_height=76, ticket_columns=3, ticket_button_height=54,
    counter_columns=2, counter_button_height=40, buttons_grow=True,
    line_compact=False, side_by_side=True, body_margins=(16, 10, 16, 0), body_spacing=18,
    column_spacing=8)

PANEL = Look(
    name="panel", style=STYLE + PANEL_STYLE, terse=True, on_top=True,
    alerts_shown=1, alert_chars=60, alerts_offline=False,
    header_rows=True, card_margins=(8, 4, 8, 6), card_spacing=2,
    call_height=66, ticket_columns=2, ticket_button_height=36,
    counter_columns=3, counter_button_height=36, buttons_grow=False,
    line_compact=True, side_by_side=False, body_margins=(8, 6, 8, 0), body_spacing=6,
    column_spacing=6)
