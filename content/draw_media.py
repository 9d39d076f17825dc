"""Draw the guide's moving demonstration and its audio guides into ``content/media/`` from code.

Run ``python -m content.draw_media`` (needs the ``dev`` extra: PyAV) to regenerate them:

- ``gerakan.mp4`` — the animation sent with ``sendAnimation``: two thumbs making small circles on both
  sides of the spine while moving down from the base of the neck to the lower tip of the shoulder
  blades, then back up, drawn from the same geometry (content/back_geometry.py), back, colours and labels
  as ``images/arah_gerakan.png`` (content/draw_images.py). H.264 in MP4, no sound, small enough for a weak signal (under 300 KB).
- ``irama_<n>menit.ogg`` — a voice note (OGG/Opus) for each session length a protocol uses: a soft
  tone at each small circle (the rhythm of the thumbs), a chime at each full minute and a longer
  three-note chime at the end. No spoken words (a synthetic voice would not sound natural).

Everything is computed (no randomness, one encoder thread), so the files come out the same for the
same PyAV/FFmpeg build. The bot only reads the stored files; PyAV is not needed at run time.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np

from content import back_geometry as geo
from content.draw_images import BLUE, RED, TITLE, Canvas, Image, _back, _thumb

OUT_DIR = Path(__file__).resolve().parent / "media"
ANIMATION = "gerakan.mp4"
MAX_ANIMATION_BYTES = 300 * 1024
MAX_VOICE_BYTES = 1024 * 1024

# -- the animation -------------------------------------------------------------------------------------

FPS = 12
VIDEO_W, VIDEO_H = 480, 360
# The path and timing come from content/back_geometry.py, shared with images/arah_gerakan.png.
TOP, LIMIT = geo.THUMB_TOP, geo.BLADE_TIP_Y  # base of the neck, lower tip of the shoulder blades
DOWN_SECONDS = geo.DOWN_SECONDS
UP_SECONDS = geo.UP_SECONDS
CIRCLES_PER_PASS = geo.CIRCLES_PER_PASS
CIRCLE_R = geo.CIRCLE_R


def thumb_positions(t: float) -> tuple[float, float, bool]:
    """Where the thumbs are at ``t`` seconds into the loop: (dx of the circle, y, moving down?)."""
    at = geo.thumb_at(t)
    return at.dx, at.y, at.down


def draw_frame_canvas(t: float) -> Canvas:
    """One frame: the back of images/arah_gerakan.png, the two thumbs (fist and thumb tip) circling beside
    the spine, the path they follow, and what they do now in large blue words."""
    c = Canvas()
    _back(c)
    at = geo.thumb_at(t)
    for tx, px in zip(geo.thumb_xs(), geo.path_xs(), strict=True):
        c.arrow([(px, TOP - 6), (px, LIMIT - 6)], BLUE, 5, head=16)  # the way down, beside the spine
        if at.down:
            c.circle(tx, at.y - at.dx * 0.2, CIRCLE_R + 6, None, outline=BLUE, width=2)
        _thumb(c, tx + at.dx, at.y)
        c.key(f"jalur {px:.0f}", (min(tx, px) - 24, TOP - 20, max(tx, px) + 24, LIMIT + 44))
    c.dashed((190, LIMIT + 8), (610, LIMIT + 8), RED, 4)
    c.key("batas", (190, LIMIT + 2, 610, LIMIT + 14))
    bx, by = geo.NECK_BONE
    c.label((790, 110), "mulai di", to=(bx + 14, by + 4), anchor="ra", start=(660, 128))
    c.label((790, 142), "pangkal leher", anchor="ra")
    c.label((790, 370), "berhenti di sini:", to=(600, LIMIT + 8), fill=RED, anchor="ra", start=(650, 382))
    c.label((790, 402), "ujung bawah", fill=RED, anchor="ra")
    c.label((790, 434), "tulang belikat", fill=RED, anchor="ra")
    if at.down:
        c.label((20, 470), "putar kecil,", size=TITLE, fill=BLUE)
        c.label((20, 510), "turun pelan", size=TITLE, fill=BLUE)
    else:
        c.arrow([(30, 560), (30, 470)], BLUE, 7, head=20)
        c.label((56, 470), "kembali ke", size=TITLE, fill=BLUE)
        c.label((56, 510), "pangkal leher", size=TITLE, fill=BLUE)
    return c


def draw_frame(t: float) -> Image.Image:
    return draw_frame_canvas(t).img.resize((VIDEO_W, VIDEO_H), Image.LANCZOS)


def write_animation(path: Path, loops: int = 2) -> Path:
    import av  # dev dependency: only for regenerating the media

    frames = int(round((DOWN_SECONDS + UP_SECONDS) * loops * FPS))
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = VIDEO_W, VIDEO_H, "yuv420p"
        stream.options = {"crf": "30", "preset": "veryslow", "tune": "animation", "threads": "1"}
        stream.codec_context.thread_count = 1
        for n in range(frames):
            frame = av.VideoFrame.from_image(draw_frame(n / FPS).convert("RGB"))
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


# -- the audio guide ------------------------------------------------------------------------------------

RATE = 48000
TICK_SECONDS = DOWN_SECONDS / CIRCLES_PER_PASS  # one soft tone per small circle


def _tone(freq: float, seconds: float, volume: float, decay: float) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    env = np.exp(-t * decay) * np.minimum(1.0, t / 0.01)  # a soft attack, a gentle fade
    return volume * env * np.sin(2 * math.pi * freq * t)


def voice_samples(minutes: int) -> np.ndarray:
    """Mono float samples: a soft tick per circle, a chime each minute, a three-note chime at the end."""
    total = minutes * 60
    out = np.zeros(int(RATE * (total + 3)), dtype=np.float64)

    def put(at: float, sound: np.ndarray) -> None:
        start = int(at * RATE)
        end = min(len(out), start + len(sound))
        out[start:end] += sound[: end - start]

    tick = _tone(440.0, 0.18, 0.18, 18.0)
    chime = _tone(880.0, 1.2, 0.35, 3.0) + _tone(1320.0, 1.2, 0.12, 4.0)
    n = 0
    while n * TICK_SECONDS < total:
        at = n * TICK_SECONDS
        if at > 0 and abs(at % 60) < 1e-6:
            put(at, chime)
        else:
            put(at, tick)
        n += 1
    for i, freq in enumerate((660.0, 880.0, 1100.0)):  # the end
        put(total + i * 0.45, _tone(freq, 1.5, 0.35, 2.5))
    return np.clip(out, -1.0, 1.0)


def voice_name(minutes: int) -> str:
    return f"irama_{minutes}menit.ogg"


def write_voice(path: Path, minutes: int) -> Path:
    import av

    samples = (voice_samples(minutes) * 32767).astype(np.int16)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=RATE, layout="mono")
        stream.bit_rate = 12000
        stream.codec_context.thread_count = 1
        chunk = 960
        for start in range(0, len(samples), chunk):
            piece = samples[start:start + chunk]
            frame = av.AudioFrame.from_ndarray(piece.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            frame.pts = start
            frame.time_base = Fraction(1, RATE)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def session_lengths() -> list[int]:
    """Minutes of every protocol's session (the voice notes to make)."""
    from content.loader import load_content

    return sorted({p.session_seconds // 60 for p in load_content().protocols.values()})


def draw_all(out_dir: Path = OUT_DIR, minutes: list[int] | None = None) -> list[Path]:
    paths = [write_animation(out_dir / ANIMATION)]
    for m in minutes if minutes is not None else session_lengths():
        paths.append(write_voice(out_dir / voice_name(m), m))
    return paths


def main() -> None:
    for path in draw_all():
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
