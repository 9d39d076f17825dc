"""WhatsApp's limits on a send request, as the Cloud API enforces them, and its error envelope.

Sources (Meta's Cloud API reference): "Messages" (text ≤ 4,096; interactive body ≤ 1,024; reply buttons 1–3,
titles ≤ 20, unique; lists: button label ≤ 20, ≤ 10 sections, ≤ 10 rows in all, row titles ≤ 24, descriptions
≤ 72, row ids ≤ 200, unique), "Template messages" (text parameters without newline, tab or more than 4
consecutive spaces), "Error codes" (131009 parameter value not valid, 131047 re-engagement message, 131053
media upload error, 132000 parameter count mismatch, 132001 template does not exist, 190 access token).
Lengths are Unicode code points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TEXT_MAX = 4096
BODY_MAX = 1024
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
LIST_BUTTON_MAX = 20
LIST_ROWS_MAX = 10
LIST_SECTIONS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
CAPTION_MAX = 1024
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")

TITLES = {
    190: "Access token has expired",
    100: "Invalid parameter",
    130429: "Rate limit hit",
    131009: "Parameter value is not valid",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131053: "Media upload error",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template name does not exist in the translation",
    133010: "Phone number not registered",
}


@dataclass
class ApiError(Exception):
    code: int
    details: str = ""
    status: int = 400

    def envelope(self, trace: str) -> dict[str, Any]:
        title = TITLES.get(self.code, "Error")
        return {"error": {"message": f"({self.code}) {title}", "type": "OAuthException", "code": self.code,
                          "error_data": {"messaging_product": "whatsapp", "details": self.details or title},
                          "fbtrace_id": trace}}


def _need(condition: bool, details: str, code: int = 131009) -> None:
    if not condition:
        raise ApiError(code, details)


def _text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    _need(isinstance(value, str), f"{what} must be a string", 100)
    _need(bool(value.strip()) or not required, f"{what} is empty")
    _need(len(value) <= limit, f"{what} is {len(value)} characters; the limit is {limit}")
    return value


def check_interactive(part: Any) -> None:
    _need(isinstance(part, dict), "interactive must be an object", 100)
    kind = part.get("type")
    body = part.get("body") or {}
    _text(body.get("text"), "interactive.body.text", BODY_MAX)
    action = part.get("action") or {}
    if kind == "button":
        buttons = action.get("buttons")
        _need(isinstance(buttons, list) and 1 <= len(buttons) <= BUTTONS_MAX,
              f"interactive.action.buttons: 1 to {BUTTONS_MAX} buttons")
        ids, titles = [], []
        for b in buttons:
            reply = (b or {}).get("reply") or {}
            _need((b or {}).get("type") == "reply", "button type must be reply", 100)
            ids.append(_text(reply.get("id"), "button id", BUTTON_ID_MAX))
            titles.append(_text(reply.get("title"), "button title", BUTTON_TITLE_MAX))
        _need(len(set(ids)) == len(ids), "button ids must be unique")
        _need(len(set(titles)) == len(titles), "button titles must be unique")
    elif kind == "list":
        _text(action.get("button"), "list button", LIST_BUTTON_MAX)
        sections = action.get("sections")
        _need(isinstance(sections, list) and 1 <= len(sections) <= LIST_SECTIONS_MAX, "list sections: 1 to 10")
        rows = [r for s in sections for r in ((s or {}).get("rows") or [])]
        _need(1 <= len(rows) <= LIST_ROWS_MAX, f"list rows: 1 to {LIST_ROWS_MAX} in all, got {len(rows)}")
        if len(sections) > 1:
            for s in sections:
                _text((s or {}).get("title"), "section title", ROW_TITLE_MAX)
        ids = []
        for r in rows:
            ids.append(_text(r.get("id"), "row id", ROW_ID_MAX))
            _text(r.get("title"), "row title", ROW_TITLE_MAX)
            if "description" in r:
                _text(r.get("description"), "row description", ROW_DESCRIPTION_MAX, required=False)
        _need(len(set(ids)) == len(ids), "row ids must be unique")
    else:
        raise ApiError(100, f"interactive type {kind!r} is not supported by this fake")


_BAD_PARAM = re.compile(r"[\n\t]| {5,}")


def check_template(part: Any, templates: dict[str, tuple[int, int]] | None) -> tuple[str, list[str], list[str]]:
    """(name, body parameters, button payloads); ``templates`` maps approved names to (params, buttons)."""
    _need(isinstance(part, dict), "template must be an object", 100)
    name = part.get("name")
    _need(isinstance(name, str) and bool(name), "template.name is required", 100)
    language = (part.get("language") or {}).get("code")
    _need(isinstance(language, str) and bool(language), "template.language.code is required", 100)
    params: list[str] = []
    payloads: list[str] = []
    for component in part.get("components") or []:
        kind = (component or {}).get("type")
        if kind == "body":
            for p in component.get("parameters") or []:
                _need(p.get("type") == "text", "only text parameters in this fake", 100)
                value = p.get("text")
                _need(isinstance(value, str) and bool(value.strip()), "a text parameter is empty")
                _need(not _BAD_PARAM.search(value),
                      "Param text cannot have new-line/tab characters or more than 4 consecutive spaces")
                params.append(value)
        elif kind == "button":
            _need(component.get("sub_type") == "quick_reply", "only quick_reply buttons in this fake", 100)
            for p in component.get("parameters") or []:
                payloads.append(str(p.get("payload", "")))
    if templates is not None:
        if name not in templates:
            raise ApiError(132001, f"template name ({name}) does not exist in {language}", 404)
        n_params, n_buttons = templates[name]
        if len(params) != n_params:
            raise ApiError(132000, f"expected {n_params} parameters, got {len(params)}")
        _need(len(payloads) <= n_buttons, f"template has {n_buttons} buttons")
    return name, params, payloads
