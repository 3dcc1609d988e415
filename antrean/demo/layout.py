"""Where the windowed demo puts its four windows: the kiosk (portrait) at the left, full height;
the board at the top right; the two counters side by side below it. The tiles fill the screen's
free area exactly (no overlap, no strip left black), frames included, and each is at least the
window's minimum size when the screen is big enough for that. Plain arithmetic, no Qt: the
runner measures the screen and the frames and applies the result."""

from __future__ import annotations

from dataclasses import dataclass

KIOSK_ASPECT = 1080 / 1920  # width / height of a portrait kiosk screen
BOARD_ASPECT = 1080 / 1920  # height / width of the hall TV
KIOSK_SHARE = 1 / 3  # the kiosk never takes more of the width than this
BOARD_SHARE = 0.55  # nor the board more of the height


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def area(self) -> int:
        return self.width * self.height

    def overlap(self, other: Box) -> int:
        """The area both cover."""
        w = min(self.right, other.right) - max(self.x, other.x)
        h = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(w, 0) * max(h, 0)

    def contains(self, other: Box) -> bool:
        return (self.x <= other.x and self.y <= other.y and other.right <= self.right
                and other.bottom <= self.bottom)


@dataclass(frozen=True)
class Tiling:
    kiosk: Box
    board: Box
    counters: list[Box]
    fits: bool  # every tile is at least its window's minimum size
    needs: tuple[int, int]  # the smallest free area in which it would fit


def tile(area: Box, kiosk_min: tuple[int, int], board_min: tuple[int, int],
         counter_mins: list[tuple[int, int]]) -> Tiling:
    """Frame boxes for the windows in `area`; the minimums are frame sizes too. On a screen
    too small for the minimums the tiles still fill `area` (the windows, which keep their
    minimum size, then overlap) and `fits` is False."""
    # Every tile gets at least a pixel each way, so that is every window's least minimum.
    kiosk_min, board_min = _at_least_1(kiosk_min), _at_least_1(board_min)
    counter_mins = [_at_least_1(m) for m in counter_mins]
    n = max(len(counter_mins), 1)
    # The counters share the width equally, so the widest minimum counts for each of them.
    counters_min_w = n * max((w for w, _ in counter_mins), default=0)
    counters_min_h = max((h for _, h in counter_mins), default=0)
    right_min_w = max(board_min[0], counters_min_w)
    needs = (kiosk_min[0] + right_min_w,
             max(kiosk_min[1], board_min[1] + counters_min_h))
    fits = needs[0] <= area.width and needs[1] <= area.height

    kiosk_w = min(round(area.height * KIOSK_ASPECT), area.width * KIOSK_SHARE)
    kiosk_w = max(kiosk_min[0], min(round(kiosk_w), area.width - right_min_w))
    kiosk_w = min(max(kiosk_w, 1), area.width - n)  # leave the right side at least 1 px each
    right_w = area.width - kiosk_w
    board_h = min(round(right_w * BOARD_ASPECT), round(area.height * BOARD_SHARE))
    board_h = max(board_min[1], min(board_h, area.height - counters_min_h))
    board_h = min(max(board_h, 1), area.height - 1)
    counter_h = area.height - board_h

    x0 = area.x + kiosk_w
    counters = []
    for i in range(len(counter_mins)):
        left = x0 + right_w * i // n
        counters.append(Box(left, area.y + board_h, x0 + right_w * (i + 1) // n - left,
                            counter_h))
    return Tiling(kiosk=Box(area.x, area.y, kiosk_w, area.height),
                  board=Box(x0, area.y, right_w, board_h), counters=counters, fits=fits,
                  needs=needs)


def _at_least_1(size: tuple[int, int]) -> tuple[int, int]:
    return max(size[0], 1), max(size[1], 1)
