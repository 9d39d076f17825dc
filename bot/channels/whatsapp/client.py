"""A small aiohttp client of the WhatsApp Cloud API: send, upload and get media, mark read.

Every error answer becomes an exception from :mod:`bot.channels.whatsapp.errors` (131047 → TemplateRequired,
130429/131056 → RetryLater, 131026/133010 → Unreachable); a network failure is a RetryLater with code 0.
Media: ``POST {API_URL}/{PHONE_NUMBER_ID}/media`` (multipart: ``file``, ``type``, ``messaging_product``) answers
``{"id": …}``; ``GET {API_URL}/{MEDIA_ID}`` answers ``{"url", "mime_type", "sha256", "file_size", "id"}`` and the
``url`` is downloaded with the same bearer token (Meta, "Media" reference:
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.channels.outgoing import OutgoingMessage
from bot.channels.whatsapp import wire
from bot.channels.whatsapp.config import WhatsAppConfig
from bot.channels.whatsapp.errors import RetryLater, WhatsAppError, error_from_envelope

# WhatsApp's accepted types for the guide's media (Meta, "Supported media types"): OGG must be Opus.
MIME_BY_SUFFIX = {".ogg": "audio/ogg", ".opus": "audio/ogg", ".mp4": "video/mp4", ".png": "image/png",
                  ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".pdf": "application/pdf"}


@dataclass(frozen=True)
class Sent:
    message_id: str  # wamid…
    wa_id: str  # the recipient's WhatsApp id as the API resolved it


@dataclass(frozen=True)
class MediaInfo:
    id: str
    url: str
    mime_type: str
    file_size: int
    sha256: str


class WhatsAppClient:
    def __init__(self, config: WhatsAppConfig, session: aiohttp.ClientSession | None = None,
                 timeout: float = 20.0):
        self.config = config
        self._session = session
        self._own_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def __aenter__(self) -> WhatsAppClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.token}"}

    async def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            async with self._http().request(method, url, headers=self._auth, **kwargs) as response:
                try:
                    payload = await response.json(content_type=None)
                except ValueError:
                    payload = None
                if response.status >= 400 or (isinstance(payload, dict) and "error" in payload):
                    raise error_from_envelope(payload, response.status)
                if payload is None:
                    raise WhatsAppError(0, "the answer was not JSON", status=response.status)
                return payload
        except aiohttp.ClientError as exc:
            raise RetryLater(0, f"network: {exc.__class__.__name__}: {exc}") from exc
        except TimeoutError as exc:
            raise RetryLater(0, "network: timed out") from exc

    async def _send(self, body: dict[str, Any]) -> Sent:
        payload = await self._call("POST", self.config.messages_url, json=body)
        try:
            message_id = str(payload["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise WhatsAppError(0, f"no message id in the answer: {str(payload)[:200]}") from exc
        contacts = payload.get("contacts") or [{}]
        return Sent(message_id, str(contacts[0].get("wa_id", body.get("to", ""))))

    async def send(self, to: str, message: OutgoingMessage) -> Sent:
        """Send a neutral message (text, choices as buttons/list/numbered text, media by id, or a template)."""
        return await self._send(wire.message_body(to, message))

    async def send_text(self, to: str, text: str) -> Sent:
        return await self._send(wire.text_body(to, text))

    async def send_template(self, to: str, name: str, language: str, params: tuple[str, ...] = (),
                            buttons: tuple[str, ...] = ()) -> Sent:
        return await self._send(wire.template_body(to, name, language, params, buttons))

    async def upload_media(self, file: Path, mime_type: str | None = None) -> str:
        """Upload ``file`` once; the media id it returns is reused for every later send."""
        return await self.upload_bytes(file.read_bytes(), file.name, mime_type)

    async def upload_bytes(self, data: bytes, filename: str, mime_type: str | None = None) -> str:
        """Upload a file's ``data`` (named ``filename``); the media id it returns is reused for later sends."""
        suffix = Path(filename).suffix.lower()
        mime = mime_type or MIME_BY_SUFFIX.get(suffix) or mimetypes.guess_type(filename)[0]
        if not mime:
            raise ValueError(f"unknown media type for {filename}")
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime)
        form.add_field("file", data, filename=filename, content_type=mime)
        payload = await self._call("POST", self.config.media_url, data=form)
        return str(payload["id"])

    async def get_media(self, media_id: str) -> MediaInfo:
        p = await self._call("GET", f"{self.config.api_url}/{media_id}")
        return MediaInfo(str(p.get("id", media_id)), str(p.get("url", "")), str(p.get("mime_type", "")),
                         int(p.get("file_size", 0) or 0), str(p.get("sha256", "")))

    async def download_media(self, media_id: str) -> bytes:
        info = await self.get_media(media_id)
        try:
            async with self._http().get(info.url, headers=self._auth) as response:
                if response.status >= 400:
                    raise WhatsAppError(0, f"media download failed with HTTP {response.status}",
                                        status=response.status)
                return await response.read()
        except aiohttp.ClientError as exc:
            raise RetryLater(0, f"network: {exc}") from exc

    async def mark_read(self, message_id: str) -> None:
        await self._call("POST", self.config.messages_url, json=wire.read_body(message_id))
