"""The moving demonstration and the audio guides (content/media/) are drawn from code and stay small."""

from __future__ import annotations

from pathlib import Path

import pytest

from content import get_content
from content.draw_media import (
    ANIMATION,
    DOWN_SECONDS,
    FPS,
    LIMIT,
    MAX_ANIMATION_BYTES,
    TOP,
    UP_SECONDS,
    thumb_positions,
    voice_name,
    voice_samples,
    write_animation,
)
from content.loader import CONTENT_DIR

MEDIA = CONTENT_DIR / "media"


def test_the_shipped_animation_is_a_small_mp4_of_two_loops() -> None:
    av = pytest.importorskip("av")
    path = MEDIA / ANIMATION
    assert path.stat().st_size < MAX_ANIMATION_BYTES
    with av.open(str(path)) as movie:
        stream = movie.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = sum(1 for _ in movie.decode(video=0))
    assert frames == round((DOWN_SECONDS + UP_SECONDS) * 2 * FPS)


def test_the_thumbs_go_down_from_the_neck_to_the_shoulder_blades_and_back() -> None:
    ys = [thumb_positions(t / 10)[1] for t in range(int((DOWN_SECONDS + UP_SECONDS) * 10))]
    assert min(ys) < TOP + 15 and max(ys) > LIMIT - 15
    assert thumb_positions(DOWN_SECONDS + UP_SECONDS / 2)[2] is False  # on the way back up


def test_every_protocol_session_length_has_its_voice_note() -> None:
    guide = get_content().guide
    for protocol in get_content().protocols.values():
        path = guide.voice_for(protocol.session_seconds // 60)
        assert path is not None and path.name == voice_name(protocol.session_seconds // 60)
        assert path.read_bytes()[:4] == b"OggS"


def test_the_voice_has_a_tone_per_circle_and_a_chime_each_minute() -> None:
    samples = voice_samples(2)
    rate = 48000
    loud = [abs(samples[int(s * rate):int(s * rate) + 2400]).max() for s in (0, 1, 60, 120)]
    assert 0.1 < loud[0] < 0.3 and 0.1 < loud[1] < 0.3  # soft ticks
    assert loud[2] > loud[0] and loud[3] > loud[0]  # the minute chime and the end chime are louder


def test_the_generator_reproduces_the_animation(tmp_path: Path) -> None:
    av = pytest.importorskip("av")
    path = write_animation(tmp_path / ANIMATION, loops=1)
    with av.open(str(path)) as movie:
        assert sum(1 for _ in movie.decode(video=0)) == round((DOWN_SECONDS + UP_SECONDS) * FPS)
    assert path.stat().st_size < MAX_ANIMATION_BYTES
