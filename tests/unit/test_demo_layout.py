"""The windowed demo's tiling (antrean/demo/layout.py): the four frames partition the screen's
free area, and each is at least its window's minimum whenever the area has room for all of
them. tests/system/test_real_windows.py checks the same on a real X display."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from antrean.demo.layout import Box, Tiling, tile

COUNTER_MIN = (322, 625)  # 320x600 plus openbox's frame
SIZE = st.tuples(st.integers(0, 900), st.integers(0, 900))


def boxes(t: Tiling) -> list[Box]:
    return [t.kiosk, t.board, *t.counters]


def assert_partition(t: Tiling, area: Box) -> None:
    tiles = boxes(t)
    for b in tiles:
        assert b.width > 0 and b.height > 0, b
        assert area.contains(b), (b, area)
    for i, a in enumerate(tiles):
        for b in tiles[i + 1:]:
            assert a.overlap(b) == 0, (a, b)
    assert sum(b.area for b in tiles) == area.area


def test_a_full_hd_screen_is_tiled_kiosk_left_board_top_counters_below() -> None:
    area = Box(0, 0, 1920, 1080)
    t = tile(area, (2, 26), (2, 26), [COUNTER_MIN, COUNTER_MIN])
    assert_partition(t, area)
    assert t.fits
    assert t.kiosk == Box(0, 0, 608, 1080)  # portrait, 1080:1920 of the height
    assert t.board == Box(608, 0, 1312, 455)  # as tall as the counters' minimum leaves
    assert t.counters == [Box(608, 455, 656, 625), Box(1264, 455, 656, 625)]


def test_the_free_area_beside_a_panel_is_used_and_nothing_outside_it() -> None:
    area = Box(64, 32, 1856, 1048)  # a dock at the left, a top bar
    t = tile(area, (2, 26), (2, 26), [COUNTER_MIN, COUNTER_MIN])
    assert_partition(t, area)
    assert t.kiosk.x == 64 and t.kiosk.y == 32 and t.board.right == 1920


def test_with_room_the_board_keeps_the_tv_shape_but_leaves_the_counters_45_percent() -> None:
    portrait = tile(Box(0, 0, 1080, 1920), (2, 26), (2, 26), [COUNTER_MIN, COUNTER_MIN])
    assert portrait.kiosk.width == 360  # a third of the width at most
    assert portrait.board.height == round(portrait.board.width * 9 / 16)
    tall = tile(Box(0, 0, 3840, 2160), (2, 26), (2, 26), [COUNTER_MIN, COUNTER_MIN])
    assert tall.board.height == round(2160 * 0.55)


def test_a_screen_too_small_for_the_minimums_says_so_and_is_still_tiled() -> None:
    area = Box(0, 0, 1024, 600)
    t = tile(area, (400, 600), (2, 26), [COUNTER_MIN, COUNTER_MIN])
    assert not t.fits
    assert t.needs == (400 + 2 * 322, 26 + 625)
    assert_partition(t, area)


@given(w=st.integers(4, 5000), h=st.integers(4, 3000), x=st.integers(0, 500),
       y=st.integers(0, 500), kiosk=SIZE, board=SIZE, counters=st.lists(SIZE, min_size=1,
                                                                            max_size=3))
def test_any_screen_is_partitioned_and_minimums_hold_when_they_fit(
        w: int, h: int, x: int, y: int, kiosk: tuple[int, int], board: tuple[int, int],
        counters: list[tuple[int, int]]) -> None:
    area = Box(x, y, w, h)
    t = tile(area, kiosk, board, counters)
    assert_partition(t, area)
    if t.fits:
        for b, (mw, mh) in zip(boxes(t), [kiosk, board, *counters], strict=True):
            assert b.width >= mw and b.height >= mh, (b, mw, mh)
    else:
        assert t.needs[0] > w or t.needs[1] > h
