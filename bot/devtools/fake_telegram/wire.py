"""The Bot API wire format: decoding request parameters and encoding answers.

python-telegram-bot sends every parameter as a form field whose value is either a plain string or a
JSON-dumped value (``multipart/form-data`` when files are uploaded, ``application/x-www-form-urlencoded``
otherwise). Other clients send a JSON body or query parameters. All of them end up here as one typed dict.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

# Parameters whose value is a JSON object/array in the Bot API.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "link_preview_options",
        "entities",
        "caption_entities",
        "reply_parameters",
        "allowed_updates",
        "commands",
        "scope",
        "media",
        "menu_button",
        "results",
        "permissions",
        "rights",
        "options",
        "reaction",
        "message_ids",
    }
)
# Parameters that are integers in the Bot API.
INT_FIELDS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "duration",
        "width",
        "height",
        "length",
        "max_connections",
        "user_id",
        "from_chat_id",
        "until_date",
    }
)
# Parameters that may be an integer id or an "@username" string.
CHAT_ID_FIELDS = frozenset({"chat_id", "from_chat_id"})
BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
        "allow_paid_broadcast",
        "supports_streaming",
    }
)

_INT_RE = re.compile(r"^-?\d+$")
TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, description and optional ``parameters``."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True, slots=True)
class Upload:
    """A file that came in a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


def _coerce(key: str, value: str) -> Any:
    if key in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {key} JSON object") from None
    if key in CHAT_ID_FIELDS:
        return int(value) if _INT_RE.match(value) else value
    if key in INT_FIELDS:
        if _INT_RE.match(value):
            return int(value)
        raise bad_request(f"invalid {key} specified")
    if key in BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    return value


def _coerce_json_value(key: str, value: Any) -> Any:
    if isinstance(value, str) and (key in JSON_FIELDS or key in INT_FIELDS or key in CHAT_ID_FIELDS):
        return _coerce(key, value)
    return value


async def read_params(request: web.BaseRequest) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Decode the query string and body of ``request`` into (params, uploads)."""
    params: dict[str, Any] = {}
    uploads: dict[str, Upload] = {}
    for key, value in request.query.items():
        params[key] = _coerce(key, value)
    if request.method not in ("POST", "PUT") or not request.body_exists:
        return params, uploads
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON body") from None
        if not isinstance(body, dict):
            raise bad_request("JSON body must be an object")
        for key, value in body.items():
            params[key] = _coerce_json_value(key, value)
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, str):
                params[key] = _coerce(key, value)
            else:  # aiohttp FileField
                data = value.file.read()
                uploads[key] = Upload(key, value.filename, value.content_type, data)
    return params, uploads


_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_response(status: int, payload: Any) -> web.Response:
    return web.Response(status=status, body=_DUMPS(payload).encode("utf-8"), content_type="application/json")


def ok_payload(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2
