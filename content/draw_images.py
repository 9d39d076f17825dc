"""Draw the guide's pictures into ``content/images/`` with Pillow.

Run ``python -m content.draw_images`` to regenerate them. The pictures are simple diagrams
(what to prepare, position, hands, where the thumbs go, the movement and its direction, what comes
after the massage), drawn at twice the size
and scaled down for smooth lines, then stored as small palette PNGs (well under 60 KB) that stay
readable on a cheap phone. Labels are short Indonesian words; the full caption lives in sop.yaml.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from content import back_geometry as geo

OUT_DIR = Path(__file__).resolve().parent / "images"
W, H = 800, 600
S = 2  # drawing scale
PHONE_WIDTH = 360  # how wide a photo shows in a chat on a small phone
MIN_TEXT_PX = 12  # the smallest legible letter height there: every text is at least MIN_TEXT size here
MIN_TEXT = math.ceil(MIN_TEXT_PX * W / PHONE_WIDTH)  # 27
LABEL = 28  # the size of a label
TITLE = 32

BG = (255, 255, 255)
INK = (40, 40, 40)
SKIN = (240, 196, 160)
SKIN_DARK = (214, 160, 120)
HELPER = (120, 150, 190)
WOOD = (170, 110, 60)
PILLOW = (140, 185, 230)
BONE = (235, 225, 205)
RED = (214, 40, 40)
BLUE = (25, 100, 220)
GREY = (150, 150, 150)
OIL = (240, 190, 90)
TOWEL = (140, 195, 150)
WATER = (180, 215, 245)
BASIN = (200, 208, 218)
WASHCLOTH = (240, 170, 190)
CLOTHES = (180, 120, 170)
BLANKET = (250, 220, 120)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size * S)


Box = tuple[float, float, float, float]


class Canvas:
    """A picture being drawn; it remembers where each text went (``texts``: box, text, size) and the
    drawing's key parts (``keys``: name, box) so a test can check that no text covers another or them."""

    def __init__(self) -> None:
        self.img = Image.new("RGB", (W * S, H * S), BG)
        self.d = ImageDraw.Draw(self.img)
        self.texts: list[tuple[Box, str, int]] = []
        self.keys: list[tuple[str, Box]] = []

    def key(self, name: str, box: Box) -> None:
        """Mark a part of the drawing a label must not cover (a thumb, the neck bone, a hand …)."""
        self.keys.append((name, box))

    def key_circle(self, name: str, cx: float, cy: float, r: float) -> None:
        self.key(name, (cx - r, cy - r, cx + r, cy + r))

    def p(self, *pts: float) -> list[float]:
        return [v * S for v in pts]

    def line(self, pts: list[tuple[float, float]], fill, width: float) -> None:
        flat = [v * S for xy in pts for v in xy]
        self.d.line(flat, fill=fill, width=int(width * S), joint="curve")
        r = width * S / 2
        for x, y in (pts[0], pts[-1]):
            self.d.ellipse([x * S - r, y * S - r, x * S + r, y * S + r], fill=fill)

    def limb(self, pts: list[tuple[float, float]], fill, width: float) -> None:
        """A thick limb with a dark outline."""
        self.line(pts, INK, width + 6)
        self.line(pts, fill, width)

    def circle(self, cx: float, cy: float, r: float, fill, outline=INK, width: float = 3) -> None:
        self.d.ellipse(self.p(cx - r, cy - r, cx + r, cy + r), fill=fill, outline=outline, width=int(width * S))

    def rect(self, box: tuple[float, float, float, float], fill, outline=INK, radius: float = 6, width: float = 3):
        self.d.rounded_rectangle(self.p(*box), radius=radius * S, fill=fill, outline=outline, width=int(width * S))

    def polygon(self, pts: list[tuple[float, float]], fill, outline=INK, width: float = 3) -> None:
        self.d.polygon([v * S for xy in pts for v in xy], fill=fill, outline=outline, width=int(width * S))

    def dashed(self, a: tuple[float, float], b: tuple[float, float], fill, width: float = 3, dash: float = 14):
        length = math.dist(a, b)
        n = max(1, int(length // dash))
        for i in range(0, n, 2):
            t0, t1 = i / n, min(1, (i + 1) / n)
            self.line([(a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0),
                       (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1)], fill, width)

    def arrow(self, pts: list[tuple[float, float]], fill=BLUE, width: float = 7, head: float = 22) -> None:
        self.line(pts, fill, width)
        (x0, y0), (x1, y1) = pts[-2], pts[-1]
        ang = math.atan2(y1 - y0, x1 - x0)
        tip = (x1 + math.cos(ang) * head * 0.6, y1 + math.sin(ang) * head * 0.6)
        left = (x1 + math.cos(ang + 2.5) * head, y1 + math.sin(ang + 2.5) * head)
        right = (x1 + math.cos(ang - 2.5) * head, y1 + math.sin(ang - 2.5) * head)
        self.polygon([tip, left, right], fill, outline=fill, width=1)

    def circle_arrow(self, cx: float, cy: float, r: float, fill=BLUE, width: float = 5) -> None:
        """An almost full circle with an arrow head: a small circular movement."""
        pts = [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a))) for a in range(-60, 250, 10)]
        self.arrow(pts, fill, width, head=width * 3)

    def text(self, xy: tuple[float, float], text: str, size: int = LABEL, fill=INK, anchor: str = "la") -> None:
        bbox = self.d.textbbox(self.p(*xy), text, font=_font(size), anchor=anchor)
        self.texts.append((tuple(v / S for v in bbox), text, size))
        self.d.text(self.p(*xy), text, font=_font(size), fill=fill, anchor=anchor)

    def label(self, xy: tuple[float, float], text: str, to: tuple[float, float] | None = None,
              size: int = LABEL, anchor: str = "la", fill=INK, start: tuple[float, float] | None = None) -> None:
        """Text on a white box with an optional thin pointer line to ``to`` (from ``start``, else ``xy``)."""
        if to is not None:
            self.line([start or xy, to], GREY, 2)
            self.circle(to[0], to[1], 4, GREY, outline=GREY, width=1)
        bbox = self.d.textbbox(self.p(*xy), text, font=_font(size), anchor=anchor)
        pad = 6 * S
        self.d.rectangle([bbox[0] - pad, bbox[1] - pad, bbox[2] + pad, bbox[3] + pad], fill=BG)
        self.text(xy, text, size, fill, anchor)

    def save(self, name: str, out_dir: Path = OUT_DIR) -> Path:
        small = self.img.resize((W, H), Image.LANCZOS)
        pal = small.quantize(colors=32, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / name
        pal.save(path, optimize=True)
        return path


# --- the pictures ----------------------------------------------------------------------------------

def draw_posisi() -> Canvas:
    c = Canvas()
    c.line([(40, 560), (780, 560)], GREY, 4)  # floor
    # table with a pillow
    c.rect((470, 330, 770, 348), WOOD, radius=4)
    for x in (490, 745):
        c.rect((x, 348, x + 16, 560), WOOD, radius=3)
    c.d.ellipse(c.p(470, 292, 650, 338), fill=PILLOW, outline=INK, width=3 * S)
    # stool
    c.rect((200, 398, 320, 414), WOOD, radius=4)
    for x in (210, 296):
        c.rect((x, 414, x + 14, 560), WOOD, radius=3)
    # mother: leaning forward, arms folded on the pillow, head resting on them
    c.limb([(268, 392), (372, 400), (382, 552)], SKIN_DARK, 36)  # leg
    c.line([(382, 556), (420, 556)], INK, 12)
    c.limb([(262, 385), (410, 288)], SKIN, 62)  # bare back, the base of the neck at its upper end
    c.limb([(425, 285), (480, 316), (600, 306)], SKIN, 26)  # folded arm on the pillow
    c.circle(505, 268, 36, SKIN)  # head resting on the arms
    c.d.chord(c.p(469, 232, 541, 304), 180, 330, fill=INK)  # hair
    # helper, standing close behind her; both fists at the base of her neck, thumbs forward
    c.limb([(150, 556), (168, 470), (178, 395)], HELPER, 30)
    c.limb([(205, 556), (196, 470), (188, 395)], HELPER, 30)
    c.limb([(183, 395), (193, 250)], HELPER, 52)
    c.circle(196, 205, 34, SKIN)
    neck = (402, 268)
    c.limb([(198, 262), (300, 238), neck], HELPER, 24)
    c.circle(neck[0], neck[1], 16, SKIN)  # the fist
    c.limb([(neck[0] + 6, neck[1] - 6), (neck[0] + 26, neck[1] - 18)], SKIN, 9)  # the thumb, forward
    c.key_circle("tangan", neck[0] + 8, neck[1] - 8, 26)
    c.key_circle("kepala", 505, 268, 36)
    # labels
    c.text((400, 18), "Ibu duduk, condong ke depan", TITLE, anchor="ma")
    c.label((330, 110), "tangan di pangkal leher", to=(404, 252), size=LABEL, anchor="ma", start=(404, 130))
    c.label((640, 170), "kepala di lengan", to=(560, 300), size=LABEL, anchor="ma", start=(600, 190))
    c.label((30, 120), "pemijat", to=(180, 185), size=LABEL, start=(120, 140))
    c.label((560, 380), "bantal di meja", to=(600, 322), size=LABEL, start=(640, 380))
    c.label((262, 470), "kursi", size=LABEL, anchor="ma")
    return c


def draw_kepalan() -> Canvas:
    c = Canvas()
    c.text((400, 18), "Kepalkan tangan,", TITLE, anchor="ma")
    c.text((400, 56), "ibu jari lurus ke depan", TITLE, anchor="ma")
    for cx, flip in ((270, 1), (530, -1)):
        # fist: four curled fingers
        c.rect((cx - 90, 260, cx + 90, 420), SKIN, radius=40)
        for i in range(1, 4):
            x = cx - 90 + i * 45
            c.line([(x, 268), (x, 330)], SKIN_DARK, 4)
        # back of the hand and wrist
        c.rect((cx - 70, 400, cx + 70, 530), SKIN, radius=20)
        # the thumb: straight, pointing forward (up in the picture)
        tx = cx + flip * 78
        c.rect((tx - 26, 130, tx + 26, 320), SKIN, radius=26)
        c.line([(tx - 26 + 6, 250), (tx + 26 - 6, 250)], SKIN_DARK, 3)
        c.circle(tx, 152, 14, RED, outline=RED)
        c.key(f"ibu jari {cx}", (tx - 26, 130, tx + 26, 320))
        c.key(f"kepalan {cx}", (cx - 90, 260, cx + 90, 530))
    c.arrow([(400, 330), (400, 150)], BLUE, 8, head=26)
    c.key("panah", (385, 130, 415, 330))
    c.label((790, 150), "ujung ibu jari", to=(464, 160), size=LABEL, start=(610, 168), anchor="ra")
    c.label((790, 186), "yang menekan", size=LABEL, anchor="ra")
    c.label((400, 545), "ibu jari ke arah kepala Ibu", size=LABEL, anchor="ma")
    return c


def _back(c: Canvas, blades: bool = True) -> None:
    """A mother's bare back seen from behind, with spine, neck bone and shoulder blades (back_geometry)."""
    c.circle(400, 70, 52, SKIN)
    c.d.chord(c.p(348, 18, 452, 122), 180, 360, fill=INK)
    c.d.ellipse(c.p(348, 18, 452, 110), fill=INK)  # hair seen from behind
    c.rect((370, 110, 430, 165), SKIN, radius=10, outline=SKIN)
    c.polygon([(190, 200), (290, 160), (510, 160), (610, 200), (560, 590), (240, 590)], SKIN)
    c.line([(370, 112), (370, 160)], INK, 3)
    c.line([(430, 112), (430, 160)], INK, 3)
    if blades:
        for side in (-1, 1):
            c.polygon(geo.blade(side), BONE, outline=SKIN_DARK, width=3)
    for x, y, r in geo.vertebrae():
        c.circle(x, y, r, BONE, outline=SKIN_DARK, width=2)
    bx, by = geo.NECK_BONE
    c.key_circle("tulang leher", bx, by, geo.NECK_BONE_R)
    c.key("tulang belakang", (geo.SPINE_X - 10, by, geo.SPINE_X + 10, geo.BLADE_TIP_Y + 60))


def _thumb(c: Canvas, x: float, y: float) -> None:
    """A thumb tip pressing at (x, y), the fist below it (seen from behind the mother)."""
    c.rect((x - 9, y, x + 9, y + 40), SKIN_DARK, radius=9, width=2)
    c.circle(x, y, geo.THUMB_R, RED, outline=INK, width=2)


def draw_letak_ibu_jari() -> Canvas:
    c = Canvas()
    _back(c)
    left, right = geo.thumb_xs()
    for x in (left, right):
        _thumb(c, x, geo.THUMB_TOP)
        c.key_circle(f"ibu jari {x:.0f}", x, geo.THUMB_TOP, geo.THUMB_R + 2)
    bx, by = geo.NECK_BONE
    c.label((790, 96), "tulang leher", to=(bx + 14, by - 6), size=LABEL, anchor="ra", start=(640, 112))
    c.label((790, 128), "yang menonjol", size=LABEL, anchor="ra")
    c.label((790, 250), "ibu jari di sini,", to=(right + 14, geo.THUMB_TOP), size=LABEL, fill=RED, anchor="ra",
            start=(640, 264))
    c.label((790, 282), "kiri dan kanan", size=LABEL, fill=RED, anchor="ra")
    c.label((10, 200), "tulang belikat", to=(270, 235), size=LABEL, start=(190, 214))
    c.label((10, 420), "tulang belakang:", to=(geo.SPINE_X - 10, 430), size=LABEL, start=(230, 436))
    c.label((10, 452), "jangan ditekan", size=LABEL)
    return c


def draw_gerakan_memutar() -> Canvas:
    c = Canvas()
    c.text((400, 18), "Lingkaran kecil, tekan lembut", TITLE, anchor="ma")
    c.rect((170, 90, 630, 540), SKIN, radius=30)
    for y in range(110, 530, 44):
        c.circle(400, y, 14, BONE, outline=SKIN_DARK, width=2)
    c.key("tulang belakang", (384, 96, 416, 528))
    for cx in (310, 490):
        c.circle_arrow(cx, 300, 70, BLUE, 8)
        c.d.ellipse(c.p(cx - 22, 300 - 30, cx + 22, 300 + 30), fill=RED, outline=INK, width=2 * S)
        c.key(f"lingkaran {cx}", (cx - 80, 220, cx + 80, 380))
    c.label((190, 480), "kiri", size=LABEL)
    c.label((610, 480), "kanan", size=LABEL, anchor="ra")
    c.label((400, 588), "kedua ibu jari bersamaan", size=LABEL, anchor="md")
    return c


def draw_arah_gerakan() -> Canvas:
    c = Canvas()
    _back(c)
    limit = geo.BLADE_TIP_Y
    for tx, px in zip(geo.thumb_xs(), geo.path_xs(), strict=True):
        for y in geo.circle_centres():
            c.circle_arrow(tx, y, geo.CIRCLE_R + 1, BLUE, 3)
        c.arrow([(px, geo.THUMB_TOP - 6), (px, limit - 6)], BLUE, 6, head=18)
        c.key(f"jalur {px:.0f}", (min(tx, px) - 14, geo.THUMB_TOP - 14, max(tx, px) + 14, limit + 4))
    c.dashed((190, limit + 8), (610, limit + 8), RED, 4)
    c.key("batas", (190, limit + 2, 610, limit + 14))
    bx, by = geo.NECK_BONE
    c.label((790, 110), "mulai di", to=(bx + 14, by + 4), size=LABEL, anchor="ra", start=(660, 128))
    c.label((790, 142), "pangkal leher", size=LABEL, anchor="ra")
    c.label((790, 370), "berhenti di sini:", to=(600, limit + 8), size=LABEL, fill=RED, anchor="ra",
            start=(650, 382))
    c.label((790, 402), "ujung bawah", size=LABEL, fill=RED, anchor="ra")
    c.label((790, 434), "tulang belikat", size=LABEL, fill=RED, anchor="ra")
    c.arrow([(30, 520), (30, 450)], BLUE, 6, head=18)
    c.label((52, 460), "lalu kembali ke", size=LABEL, fill=BLUE)
    c.label((52, 492), "leher, ulangi", size=LABEL, fill=BLUE)
    return c


def _hand(c: Canvas, cx: float, cy: float, flip: int = 1) -> None:
    """An open hand, fingers up, palm towards the viewer; ``flip`` -1 puts the thumb on the other side."""
    for dx, top in ((-21, -52), (-7, -62), (7, -60), (21, -50)):
        c.limb([(cx + dx * flip, cy), (cx + dx * flip, cy + top)], SKIN, 11)
    c.limb([(cx - 26 * flip, cy + 30), (cx - 46 * flip, cy - 4)], SKIN, 13)  # thumb
    c.rect((cx - 30, cy - 10, cx + 30, cy + 50), SKIN, radius=16)
    c.rect((cx - 20, cy + 44, cx + 20, cy + 80), SKIN, radius=6)  # wrist


def _wave(c: Canvas, x: float, y0: float, y1: float, fill, width: float = 4, amp: float = 6) -> None:
    """A wavy vertical line from ``y0`` up to ``y1``: warmth or steam."""
    n = 16
    c.line([(x + amp * math.sin(i / n * 2 * math.pi * 1.5), y0 + (y1 - y0) * i / n) for i in range(n + 1)],
           fill, width)


def _caption(c: Canvas, x: float, y: float, lines: tuple[str, ...], size: int = LABEL) -> None:
    for i, line in enumerate(lines):
        c.label((x, y + i * (size + 6)), line, size=size, anchor="ma")


def draw_persiapan() -> Canvas:
    c = Canvas()
    c.text((400, 18), "Yang disiapkan sebelum memijat", TITLE, anchor="ma")
    # 1. massage oil
    c.rect((115, 72, 155, 96), PILLOW, radius=6)  # cap
    c.rect((122, 94, 148, 118), OIL, radius=4)  # neck
    c.rect((95, 114, 175, 234), OIL, radius=18)
    c.rect((108, 150, 162, 200), BG, radius=6, width=2)
    c.polygon([(135, 158), (149, 180), (135, 193), (121, 180)], OIL, width=2)  # an oil drop on the label
    _caption(c, 135, 246, ("minyak pijat", "(baby oil)"))
    # 2. a small towel, folded
    c.rect((320, 118, 480, 222), TOWEL, radius=14)
    for y in (152, 186):
        c.line([(326, y), (474, y)], INK, 3)
    for x in (338, 462):
        c.line([(x, 124), (x, 216)], BG, 3)  # woven stripes near the ends
    _caption(c, 400, 246, ("handuk kecil",))
    # 3. a basin of warm water with a washcloth over its rim
    for x in (630, 665, 700):
        _wave(c, x, 138, 80, RED, 4)
    c.polygon([(572, 150), (758, 150), (728, 230), (602, 230)], BASIN)
    c.d.ellipse(c.p(580, 140, 750, 164), fill=WATER, outline=INK, width=3 * S)
    c.polygon([(700, 142), (748, 140), (744, 206), (712, 200)], WASHCLOTH)  # the washcloth
    _caption(c, 665, 246, ("air hangat", "di baskom, waslap"))
    # 4. chair, table and pillow
    c.line([(20, 470), (250, 470)], GREY, 4)
    c.rect((24, 340, 36, 470), WOOD, radius=3)  # chair back
    c.rect((24, 408, 92, 420), WOOD, radius=3)  # seat
    c.rect((80, 420, 92, 470), WOOD, radius=3)
    c.rect((110, 388, 250, 400), WOOD, radius=3)  # table
    for x in (118, 232):
        c.rect((x, 400, x + 12, 470), WOOD, radius=3)
    c.d.ellipse(c.p(125, 356, 235, 392), fill=PILLOW, outline=INK, width=3 * S)
    _caption(c, 135, 490, ("kursi, meja,", "dan bantal"))
    # 5. washing hands with soap
    c.rect((340, 312, 420, 328), GREY, radius=6)  # tap
    c.rect((404, 322, 420, 346), GREY, radius=4)
    for y in (354, 372):
        c.d.ellipse(c.p(407, y, 417, y + 12), fill=BLUE)
    _hand(c, 370, 410, 1)
    _hand(c, 440, 410, -1)
    for bx, by, r in ((332, 370, 11), (350, 345, 8), (462, 352, 10), (478, 380, 7), (405, 440, 9), (318, 420, 7)):
        c.circle(bx, by, r, BG, outline=BLUE, width=2)
    c.rect((458, 430, 512, 462), WATER, radius=10)  # soap bar
    _caption(c, 400, 490, ("cuci tangan", "dengan sabun"))
    # 6. rub the palms until they are warm
    _hand(c, 638, 410, -1)
    _hand(c, 692, 410, 1)
    c.arrow([(590, 440), (590, 350)], BLUE, 6, head=18)
    c.arrow([(740, 350), (740, 440)], BLUE, 6, head=18)
    for x in (560, 770):
        _wave(c, x, 430, 350, RED, 4)
    _caption(c, 665, 490, ("gosok telapak", "sampai hangat"))
    for name, box in (("minyak", (95, 72, 175, 234)), ("handuk", (320, 118, 480, 222)),
                      ("baskom", (572, 80, 758, 230)), ("kursi dan meja", (20, 340, 250, 470)),
                      ("cuci tangan", (310, 312, 515, 478)), ("gosok tangan", (545, 340, 775, 478))):
        c.key(name, box)
    return c


def _sitter(c: Canvas, x: float, seat: float, top, head_hair: bool = True) -> None:
    """A mother sitting on a seat at height ``seat``, facing right; ``top`` colours her upper body."""
    c.limb([(x, seat - 8), (x + 72, seat - 2), (x + 78, 462)], SKIN_DARK, 30)  # leg
    c.line([(x + 78, 466), (x + 108, 466)], INK, 10)
    c.limb([(x, seat - 10), (x + 6, seat - 120)], top, 48)  # upper body
    c.circle(x + 12, seat - 160, 30, SKIN)
    if head_hair:
        c.d.chord(c.p(x - 18, seat - 190, x + 42, seat - 130), 150, 330, fill=INK)


def draw_penutup() -> Canvas:
    c = Canvas()
    c.text((400, 18), "Sesudah pijat", TITLE, anchor="ma")
    c.line([(20, 470), (780, 470)], GREY, 4)
    # 1. the helper wipes the mother's back with the warm washcloth
    c.rect((130, 362, 210, 374), WOOD, radius=3)  # stool
    for x in (136, 194):
        c.rect((x, 374, x + 11, 470), WOOD, radius=3)
    _sitter(c, 160, 362, SKIN)
    c.limb([(172, 240), (184, 300), (226, 330)], SKIN, 18)  # her arm, resting on her lap
    c.limb([(40, 466), (52, 340)], HELPER, 24)  # the helper, standing behind her
    c.limb([(68, 466), (60, 340)], HELPER, 24)
    c.limb([(56, 340), (58, 215)], HELPER, 42)
    c.circle(60, 176, 28, SKIN)
    c.limb([(62, 228), (96, 270), (124, 268)], HELPER, 18)
    c.rect((116, 250, 140, 288), WASHCLOTH, radius=4)  # the washcloth on her back
    c.arrow([(112, 300), (112, 346)], BLUE, 5, head=15)
    # 2. the mother rests, lying down, dressed again
    c.rect((290, 400, 520, 414), WOOD, radius=3)  # bed
    for x in (296, 506):
        c.rect((x, 414, x + 12, 470), WOOD, radius=3)
    c.rect((290, 380, 520, 402), BG, radius=6)  # mattress
    c.d.ellipse(c.p(292, 350, 362, 384), fill=PILLOW, outline=INK, width=3 * S)
    c.circle(330, 346, 28, SKIN)
    c.d.chord(c.p(302, 318, 358, 374), 130, 310, fill=INK)
    c.limb([(362, 364), (450, 366)], CLOTHES, 40)
    c.limb([(450, 370), (508, 370)], SKIN_DARK, 28)
    c.limb([(372, 352), (420, 360), (446, 356)], SKIN, 16)  # arm over her body
    for i, (zx, zy) in enumerate(((372, 272), (392, 236), (414, 194))):
        c.text((zx, zy), "z", LABEL + i * 6, BLUE)
    # 3. the mother breastfeeds the baby
    c.rect((572, 250, 584, 470), WOOD, radius=3)  # chair back
    c.rect((572, 362, 660, 374), WOOD, radius=3)  # seat
    c.rect((648, 374, 660, 470), WOOD, radius=3)
    _sitter(c, 610, 362, CLOTHES)
    c.limb([(672, 272), (736, 290)], BLANKET, 36)  # the baby, wrapped, head at the breast
    c.circle(654, 262, 21, SKIN)
    c.d.chord(c.p(633, 241, 675, 283), 200, 340, fill=INK)
    c.limb([(622, 240), (636, 306), (728, 312)], SKIN, 16)  # her arm holding the baby
    # numbers and what each picture shows
    for n, x in ((1, 30), (2, 290), (3, 556)):
        c.circle(x, 84, 20, BLUE, outline=BLUE)
        c.text((x, 84), str(n), LABEL, BG, anchor="mm")
    _caption(c, 135, 490, ("lap punggung", "dengan waslap"))
    _caption(c, 405, 490, ("Ibu istirahat",))
    _caption(c, 665, 490, ("susui bayi",))
    for name, box in (("lap punggung", (24, 148, 240, 470)), ("istirahat", (290, 318, 520, 470)),
                      ("menyusui", (556, 230, 760, 470))):
        c.key(name, box)
    c.text((665, 528), "ASI lebih lancar", LABEL, GREY, anchor="ma")
    return c


PICTURES = {
    "persiapan.png": draw_persiapan,
    "posisi.png": draw_posisi,
    "kepalan.png": draw_kepalan,
    "letak_ibu_jari.png": draw_letak_ibu_jari,
    "gerakan_memutar.png": draw_gerakan_memutar,
    "arah_gerakan.png": draw_arah_gerakan,
    "penutup.png": draw_penutup,
}


def draw_all(out_dir: Path = OUT_DIR) -> list[Path]:
    """Draw every picture into ``out_dir``; returns the written files."""
    return [draw().save(name, out_dir) for name, draw in PICTURES.items()]


def main() -> None:
    for path in draw_all():
        print(f"{path.name}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
