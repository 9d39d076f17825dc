"""The guide's media on WhatsApp: each file uploaded once, then sent by its media id.

A media id from ``POST /{PHONE_NUMBER_ID}/media`` stays usable for 30 days (Meta, "Media" reference:
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media), so an id is reused for 29 days and then
the file is uploaded again. Files are known by their content (SHA-256), so a redrawn picture gets a new upload.
Accepted formats the guide uses: PNG/JPEG pictures (≤ 5 MB), MP4 H.264/AAC video (≤ 16 MB), OGG Opus audio
(≤ 16 MB).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from bot.core.clock import Clock

REUSE_FOR = timedelta(days=29)
MAX_BYTES = {".png": 5 * 1024 * 1024, ".jpg": 5 * 1024 * 1024, ".jpeg": 5 * 1024 * 1024,
             ".mp4": 16 * 1024 * 1024, ".ogg": 16 * 1024 * 1024, ".opus": 16 * 1024 * 1024}


class Uploader(Protocol):
    async def upload_media(self, file: Path, mime_type: str | None = None) -> str: ...

    async def upload_bytes(self, data: bytes, filename: str, mime_type: str | None = None) -> str: ...


class MediaTooLarge(ValueError):
    pass


class MediaIds:
    def __init__(self, uploader: Uploader, clock: Clock):
        self._uploader = uploader
        self._clock = clock
        self._ids: dict[str, tuple[str, datetime]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.uploads = 0

    async def media_id(self, file: Path) -> str:
        """The media id of ``file``, uploading it only when it has none still fresh (one upload at a time)."""
        return await self.media_id_of(file.read_bytes(), file.name, file)

    async def media_id_of(self, data: bytes, filename: str, file: Path | None = None) -> str:
        """The media id of a file's ``data`` (named ``filename``), uploading it only when it has none still fresh."""
        limit = MAX_BYTES.get(Path(filename).suffix.lower())
        if limit is not None and len(data) > limit:
            raise MediaTooLarge(f"{filename} is {len(data)} bytes; WhatsApp takes at most {limit}")
        key = hashlib.sha256(data).hexdigest()
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            known = self._ids.get(key)
            now = self._clock.now()
            if known is not None and now - known[1] < REUSE_FOR:
                return known[0]
            if file is not None:
                media_id = await self._uploader.upload_media(file)
            else:
                media_id = await self._uploader.upload_bytes(data, filename)
            self.uploads += 1
            self._ids[key] = (media_id, now)
            return media_id
