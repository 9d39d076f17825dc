"""The guide's pictures show the SOP (issue 26, item 8): every picture is drawn, its texts are legible on a
small phone (360 px wide), inside the picture, never on top of one another nor of the drawing's key parts
(the thumbs, the neck bone, the spine, the hands …); the stills and the animation share one geometry."""

from __future__ import annotations

import pytest

from content import back_geometry as geo
from content.draw_images import MIN_TEXT, PHONE_WIDTH, PICTURES, Canvas, H, W
from content.draw_media import draw_frame_canvas


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _check(c: Canvas, name: str) -> None:
    assert c.texts, name
    for box, text, size in c.texts:
        assert size >= MIN_TEXT, (name, text, size)  # at least 12 px high when shown 360 px wide
        assert size * PHONE_WIDTH / W >= 12
        assert 0 <= box[0] and box[2] <= W and 0 <= box[1] and box[3] <= H, (name, text, box)
    for i, (a, ta, _) in enumerate(c.texts):
        for b, tb, _ in c.texts[i + 1:]:
            assert not _overlap(a, b), (name, ta, tb)
        for key, kb in c.keys:
            assert not _overlap(a, kb), (name, ta, key)


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_each_picture_has_legible_labels_that_cover_nothing(name):
    _check(PICTURES[name](), name)


def test_the_key_parts_are_marked_where_the_sop_puts_them():
    keys = dict(PICTURES["letak_ibu_jari.png"]().keys)
    assert "tulang leher" in keys and {k for k in keys if k.startswith("ibu jari")}
    hands = dict(PICTURES["posisi.png"]().keys)["tangan"]
    # the massager's fists are at the base of the mother's neck (her head rests at x 470-540)
    assert 380 <= (hands[0] + hands[2]) / 2 <= 440 and hands[1] < 280


@pytest.mark.parametrize("t", [0.0, 1.3, 2.5, 4.9, 5.5])
def test_every_animation_frame_keeps_its_labels_clear(t):
    _check(draw_frame_canvas(t), f"frame {t}")


def test_stills_and_animation_share_the_geometry():
    """The thumbs move beside the spine (never on it), from the base of the neck down to the lower tip
    of the shoulder blades and back; the arrows of the still run beside them, inside the blades."""
    ys = [geo.thumb_at(n / 10).y for n in range(int((geo.DOWN_SECONDS + geo.UP_SECONDS) * 10))]
    assert min(ys) <= geo.THUMB_TOP + 1 and max(ys) >= geo.BLADE_TIP_Y - geo.CIRCLE_R * 2
    assert geo.THUMB_TOP > geo.NECK_BONE[1]
    left, right = geo.thumb_xs()
    assert left < geo.SPINE_X - geo.VERTEBRA_R - geo.THUMB_R < geo.SPINE_X + geo.VERTEBRA_R + geo.THUMB_R < right
    for side, x in ((-1, geo.path_xs()[0]), (1, geo.path_xs()[1])):
        inner_x = min(abs(px - geo.SPINE_X) for px, _ in geo.blade(side))
        assert abs(x - geo.SPINE_X) < inner_x  # the arrows are not on the shoulder blades
    assert max(y for _, y in geo.blade(-1)) == geo.BLADE_TIP_Y
