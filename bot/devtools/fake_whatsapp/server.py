"""The fake Cloud API server: endpoints, the window, faults, the call log and signed webhooks to the bot."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.devtools.local_server import LocalServer

from .limits import CAPTION_MAX, MEDIA_TYPES, TEXT_MAX, TITLES, ApiError, check_interactive, check_template
from .users import WaUser

WINDOW = timedelta(hours=24)
DEFAULT_TOKEN = "TEST-WA-TOKEN"
DEFAULT_SECRET = "test-app-secret"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
VERSION = "v23.0"


class _WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(eq=False)
class WaCall:
    """One request to the fake: what was asked, when, and what was answered."""

    method: str
    path: str
    body: Any
    at: datetime
    status: int = 0
    response: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error_code(self) -> int | None:
        return ((self.response or {}).get("error") or {}).get("code") if isinstance(self.response, dict) else None


@dataclass
class _Fault:
    code: int
    to: str | None
    remaining: int


@dataclass
class SentMessage:
    id: str
    to: str
    type: str
    body: dict[str, Any]
    at: datetime
    statuses: list[str] = field(default_factory=list)


class FakeWhatsApp(LocalServer):
    def __init__(self, *, phone_number_id: str = DEFAULT_PHONE_NUMBER_ID, token: str = DEFAULT_TOKEN,
                 app_secret: str = DEFAULT_SECRET, clock: Any = None, webhook_url: str | None = None,
                 templates: dict[str, tuple[int, int]] | None = None, display_number: str = "6281100000000",
                 host: str = "127.0.0.1", port: int = 0, version: str = VERSION):
        self.phone_number_id = phone_number_id
        self.token = token
        self.app_secret = app_secret
        self.clock = clock or _WallClock()
        self.webhook_url = webhook_url
        self.templates = templates  # approved name -> (body parameters, quick-reply buttons); None: any
        self.display_number = display_number
        self.version = version
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.calls: list[WaCall] = []
        self.sent: list[SentMessage] = []
        self.read_marks: list[str] = []
        self.last_inbound: dict[str, datetime] = {}
        self.media: dict[str, tuple[bytes, str, str]] = {}
        self.webhooks: list[tuple[dict[str, Any], int]] = []  # (body, the bot's HTTP answer)
        self._faults: list[_Fault] = []
        self._ids = itertools.count(1)
        self._users: dict[str, WaUser] = {}

    # --- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> FakeWhatsApp:
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_post("/{version}/{number}/messages", self._messages)
        app.router.add_post("/{version}/{number}/media", self._upload)
        app.router.add_get("/_media/{media_id}", self._download)
        app.router.add_get("/{version}/{media_id}", self._media_info)
        await self._serve(web.AppRunner(app, access_log=None, shutdown_timeout=1.0), 256)
        return self

    @property
    def root_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeWhatsApp is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def api_url(self) -> str:
        """For WHATSAPP_API_URL: the Graph base URL with its version."""
        return f"{self.root_url}/{self.version}"

    def env(self, *, verify_token: str = "test-verify-token", number: str | None = None) -> dict[str, str]:
        """The WHATSAPP_* variables that point a bot at this fake."""
        return {"WHATSAPP_TOKEN": self.token, "WHATSAPP_PHONE_NUMBER_ID": self.phone_number_id,
                "WHATSAPP_APP_SECRET": self.app_secret, "WHATSAPP_VERIFY_TOKEN": verify_token,
                "WHATSAPP_NUMBER": number or self.display_number, "WHATSAPP_API_URL": self.api_url}

    # --- people, faults, statuses ------------------------------------------------------------------
    def user(self, wa_id: str, name: str = "") -> WaUser:
        if wa_id not in self._users:
            self._users[wa_id] = WaUser(self, wa_id, name)
        return self._users[wa_id]

    def fail_next(self, code: int, *, to: str | None = None, times: int = 1) -> None:
        """The next ``times`` sends (to ``to``, or to anyone) answer error ``code`` (130429, 131026, …)."""
        self._faults.append(_Fault(code, to, times))

    def new_id(self, prefix: str = "wamid.FAKE") -> str:
        return f"{prefix}{next(self._ids):08d}"

    def to(self, wa_id: str) -> list[SentMessage]:
        return [m for m in self.sent if m.to == wa_id]

    async def send_statuses(self, message_id: str, ladder: tuple[str, ...] = ("sent", "delivered", "read"),
                            *, error_code: int | None = None) -> list[int]:
        """POST one status webhook per step of ``ladder`` ("failed" carries ``error_code``)."""
        message = next(m for m in self.sent if m.id == message_id)
        answers = []
        for step in ladder:
            status: dict[str, Any] = {"id": message_id, "status": step,
                                      "timestamp": str(int(self.clock.now().timestamp())),
                                      "recipient_id": message.to}
            if step == "failed":
                code = error_code or 131026
                status["errors"] = [{"code": code, "title": TITLES.get(code, "Error")}]
            message.statuses.append(step)
            answers.append(await self.post_webhook(self.change({"statuses": [status]})))
        return answers

    # --- webhooks to the bot -----------------------------------------------------------------------
    def change(self, value: dict[str, Any]) -> dict[str, Any]:
        """A ``messages`` webhook body around ``value`` (messages, contacts or statuses)."""
        return {"object": "whatsapp_business_account", "entry": [{"id": "WABA-FAKE", "changes": [{
            "field": "messages",
            "value": {"messaging_product": "whatsapp",
                      "metadata": {"display_phone_number": self.display_number,
                                   "phone_number_id": self.phone_number_id},
                      **value}}]}]}

    def sign(self, raw: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), raw, hashlib.sha256).hexdigest()

    async def post_webhook(self, body: dict[str, Any] | bytes, *, signature: str | None = None,
                           signed: bool = True) -> int:
        """POST ``body`` to the bot's webhook, signed with the app secret (or with ``signature``, or unsigned);
        returns the bot's HTTP status."""
        if not self.webhook_url:
            raise RuntimeError("no webhook_url configured")
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-Hub-Signature-256"] = signature if signature is not None else self.sign(raw)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        async with self._session.post(self.webhook_url, data=raw, headers=headers) as response:
            await response.read()
            status = response.status
        self.webhooks.append((json.loads(raw) if raw.strip().startswith(b"{") else {}, status))
        return status

    # --- the API -----------------------------------------------------------------------------------
    def _answer(self, call: WaCall, status: int, payload: Any) -> web.Response:
        call.status, call.response = status, payload
        return web.json_response(payload, status=status)

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {self.token}"

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        call = WaCall("POST", request.path, body, self.clock.now())
        self.calls.append(call)
        try:
            self._check_caller(request)
            if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
                raise ApiError(100, "messaging_product must be whatsapp")
            if body.get("status") == "read":
                message_id = str(body.get("message_id", ""))
                if not message_id:
                    raise ApiError(100, "message_id is required")
                self.read_marks.append(message_id)
                return self._answer(call, 200, {"success": True})
            sent = self._send(body)
        except ApiError as error:
            return self._answer(call, error.status, error.envelope(self.new_id("trace")))
        return self._answer(call, 200, {"messaging_product": "whatsapp",
                                        "contacts": [{"input": sent.to, "wa_id": sent.to}],
                                        "messages": [{"id": sent.id}]})

    def _check_caller(self, request: web.Request) -> None:
        if not self._authorised(request):
            raise ApiError(190, "invalid OAuth access token", 401)
        if request.match_info["number"] != self.phone_number_id:
            raise ApiError(100, f"unknown phone number id {request.match_info['number']}")
        if request.match_info["version"] != self.version:
            raise ApiError(100, f"unknown API version {request.match_info['version']}")

    def _send(self, body: dict[str, Any]) -> SentMessage:
        to = body.get("to")
        if not isinstance(to, str) or not to.strip():
            raise ApiError(100, "to is required")
        kind = body.get("type", "text")
        part = body.get(kind)
        for fault in self._faults:
            if fault.remaining > 0 and fault.to in (None, to):
                fault.remaining -= 1
                self._faults = [f for f in self._faults if f.remaining > 0]
                raise ApiError(fault.code, "injected fault")
        if kind == "template":
            check_template(part, self.templates)
        else:
            last = self.last_inbound.get(to)
            if last is None or self.clock.now() - last >= WINDOW:
                raise ApiError(131047, "Message failed to send because more than 24 hours have passed since the "
                                       "customer last replied to this number.")
            if kind == "text":
                text = (part or {}).get("body")
                if not isinstance(text, str) or not text.strip():
                    raise ApiError(100, "text.body is required")
                if len(text) > TEXT_MAX:
                    raise ApiError(131009, f"text.body is {len(text)} characters; the limit is {TEXT_MAX}")
            elif kind == "interactive":
                check_interactive(part)
            elif kind in MEDIA_TYPES:
                media_id = (part or {}).get("id")
                if media_id not in self.media:
                    raise ApiError(131053, f"unknown media id {media_id}")
                caption = (part or {}).get("caption", "")
                if kind == "audio" and caption:
                    raise ApiError(100, "audio takes no caption")
                if len(caption) > CAPTION_MAX:
                    raise ApiError(131009, f"caption is {len(caption)} characters; the limit is {CAPTION_MAX}")
            else:
                raise ApiError(100, f"message type {kind!r} is not supported by this fake")
        message = SentMessage(self.new_id(), to, str(kind), body, self.clock.now())
        self.sent.append(message)
        return message

    async def _upload(self, request: web.Request) -> web.Response:
        call = WaCall("POST", request.path, None, self.clock.now())
        self.calls.append(call)
        try:
            self._check_caller(request)
            form = await request.post()
            file = form.get("file")
            mime = str(form.get("type", ""))
            if form.get("messaging_product") != "whatsapp":
                raise ApiError(100, "messaging_product must be whatsapp")
            if not isinstance(file, web.FileField) or not mime:
                raise ApiError(100, "file and type are required")
            data = file.file.read()
            call.body = {"type": mime, "filename": file.filename, "size": len(data)}
            media_id = self.new_id("media")
            self.media[media_id] = (data, mime, file.filename)
        except ApiError as error:
            return self._answer(call, error.status, error.envelope(self.new_id("trace")))
        return self._answer(call, 200, {"id": media_id})

    async def _media_info(self, request: web.Request) -> web.Response:
        media_id = request.match_info["media_id"]
        call = WaCall("GET", request.path, None, self.clock.now())
        self.calls.append(call)
        if not self._authorised(request):
            return self._answer(call, 401, ApiError(190, "", 401).envelope("trace"))
        if media_id not in self.media:
            return self._answer(call, 404, ApiError(100, f"unknown media id {media_id}", 404).envelope("trace"))
        data, mime, _ = self.media[media_id]
        return self._answer(call, 200, {"messaging_product": "whatsapp", "url": f"{self.root_url}/_media/{media_id}",
                                        "mime_type": mime, "sha256": hashlib.sha256(data).hexdigest(),
                                        "file_size": len(data), "id": media_id})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            return web.Response(status=401)
        media = self.media.get(request.match_info["media_id"])
        if media is None:
            return web.Response(status=404)
        return web.Response(body=media[0], content_type=media[1].split(";")[0])
