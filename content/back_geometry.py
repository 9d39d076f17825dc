"""One geometry of the massage, shared by the still pictures (content/draw_images.py) and the animation
(content/draw_media.py), so that both show the same SOP (content/sop.yaml):

- the thumbs start at the base of the neck, two finger widths below the most prominent neck bone (C7), one
  on each side of the spine, never on it;
- they make small circles while moving down beside the spine to the height of the lower tip of the shoulder
  blades, then go back up to the neck and start again.

Coordinates are those of an 800 x 600 picture of a bare back seen from behind (x to the right, y down).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SPINE_X = 400.0
NECK_BONE = (SPINE_X, 170.0)  # the most prominent neck bone (C7), at the base of the neck
NECK_BONE_R = 13.0
VERTEBRA_R = 8.0
VERTEBRA_STEP = 26.0
THUMB_DX = 30.0  # from the spine to each thumb: beside the spine, not on it
THUMB_TOP = 200.0  # the start: about two finger widths below the neck bone
THUMB_R = 13.0
BLADE_TIP_Y = 330.0  # the lower tip of the shoulder blades: where the thumbs turn back
CIRCLE_R = 9.0  # the small circle each thumb makes
CIRCLES_PER_PASS = 5
DOWN_SECONDS = 5.0  # one pass down, circling
UP_SECONDS = 1.0  # back to the neck
PATH_DX = 58.0  # the drawn path (arrows) runs just outside each column of circles, inside the blades


def thumb_xs() -> tuple[float, float]:
    """The x of the left and right thumb."""
    return SPINE_X - THUMB_DX, SPINE_X + THUMB_DX


def path_xs() -> tuple[float, float]:
    """The x of the arrows that show the way down, beside each column of circles."""
    return SPINE_X - PATH_DX, SPINE_X + PATH_DX


def blade(side: int) -> list[tuple[float, float]]:
    """A shoulder blade as a triangle (inner top, outer top, lower tip); ``side`` -1 left, 1 right.
    Its inner edge stays outside the thumbs' path, so the arrows run beside the spine, not on the blades."""
    return [(SPINE_X + side * 72, 205.0), (SPINE_X + side * 180, 195.0), (SPINE_X + side * 88, BLADE_TIP_Y)]


def vertebrae(bottom: float = 585.0) -> list[tuple[float, float, float]]:
    """The spine as (x, y, r) circles from the neck bone down."""
    out = []
    y, i = NECK_BONE[1], 0
    while y <= bottom:
        out.append((SPINE_X, y, NECK_BONE_R if i == 0 else VERTEBRA_R))
        y += VERTEBRA_STEP
        i += 1
    return out


@dataclass(frozen=True)
class ThumbAt:
    dx: float  # the offset of the small circle, added to each thumb's x
    y: float
    down: bool  # moving down (circling) or back up to the neck


def thumb_at(t: float) -> ThumbAt:
    """Where the thumbs are ``t`` seconds into the loop (one pass down, then back up)."""
    period = DOWN_SECONDS + UP_SECONDS
    t = t % period
    if t < DOWN_SECONDS:
        frac = t / DOWN_SECONDS
        angle = 2 * math.pi * CIRCLES_PER_PASS * frac
        y = THUMB_TOP + (BLADE_TIP_Y - THUMB_TOP) * frac
        return ThumbAt(CIRCLE_R * math.sin(angle), y - CIRCLE_R * (1 - math.cos(angle)), True)
    frac = (t - DOWN_SECONDS) / UP_SECONDS
    return ThumbAt(0.0, BLADE_TIP_Y + (THUMB_TOP - BLADE_TIP_Y) * frac, False)


def circle_centres() -> list[float]:
    """The y of each small circle on the way down (where a still picture draws them)."""
    step = (BLADE_TIP_Y - THUMB_TOP) / CIRCLES_PER_PASS
    return [THUMB_TOP + step * (i + 0.5) for i in range(CIRCLES_PER_PASS)]
