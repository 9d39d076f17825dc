"""Media JSON for messages, and small sample files users can send."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from .state import StoredFile


def image_size(data: bytes | None) -> tuple[int, int]:
    """Width and height of a PNG or JPEG (best effort; 800x600 when unknown)."""
    if not data:
        return 800, 600
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            i += 2 + length
    return 800, 600


def media_json(stored: StoredFile, kind: str, params: dict[str, Any]) -> Any:
    base: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    duration = int(params.get("duration") or 1)
    if kind == "photo":
        width, height = image_size(stored.data)
        scale = max(width, height) / 90 or 1
        small = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id + "s",
            "width": max(1, int(width / scale)),
            "height": max(1, int(height / scale)),
        }
        return [small, {**base, "width": width, "height": height}]
    if kind == "document":
        if stored.filename:
            base["file_name"] = stored.filename
        if stored.mime_type:
            base["mime_type"] = stored.mime_type
        return base
    if kind in ("audio", "voice"):
        base["duration"] = duration
        base["mime_type"] = stored.mime_type or ("audio/ogg" if kind == "voice" else "audio/mpeg")
        if kind == "audio" and stored.filename:
            base["file_name"] = stored.filename
        return base
    if kind in ("video", "animation"):
        base.update(width=int(params.get("width") or 640), height=int(params.get("height") or 480))
        base["duration"] = duration
        if stored.filename:
            base["file_name"] = stored.filename
        return base
    if kind == "video_note":
        base.update(length=int(params.get("length") or 240), duration=duration)
        return base
    if kind == "sticker":
        base.update(type="regular", width=512, height=512, is_animated=False, is_video=False)
        if params.get("emoji"):
            base["emoji"] = params["emoji"]
        return base
    return base


def tiny_png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (230, 120, 150)) -> bytes:
    """A valid, tiny PNG image (for users who 'send a photo')."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    raw = row * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


SAMPLE_VOICE = b"OggS\x00\x02" + b"\x00" * 58  # an Ogg page header; content does not matter to the bot
SAMPLE_STICKER = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 14
