"""A small HTTP control API (under /_fake/) for trying the standalone fake by hand.

POST /_fake/send   {"user_id": 1, "text": "/start", "first_name": "Siti"}
POST /_fake/press  {"user_id": 1, "label": "Mulai"}
GET  /_fake/chats/1        the transcript and messages of chat 1
GET  /_fake/calls?limit=50 the latest requests
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from .recording import Call
from .wire import json_response
from .world import World


class ControlledServer(Protocol):
    """What the control API needs of the fake server (bot/devtools/fake_telegram/server.py)."""

    world: World

    @property
    def calls(self) -> list[Call]: ...

    @property
    def total_calls(self) -> int: ...

    def user(self, user_id: int | None = None, first_name: str = "Siti") -> Any: ...


async def handle_control(fake: ControlledServer, request: web.BaseRequest, rest: str) -> web.StreamResponse:
    try:
        if rest in ("send", "press") and request.method == "POST":
            body = await request.json()
            user = fake.user(int(body["user_id"]), first_name=str(body.get("first_name", "Siti")))
            if rest == "send":
                await user.send(str(body["text"]), wait=False)
            else:
                await user.press(str(body["label"]), wait=False)
            ticket = user.last_update
            return json_response(200, {"ok": True, "update_id": ticket.update_id if ticket else None})
        if rest.startswith("chats/") and request.method == "GET":
            chat_id = int(rest.split("/", 1)[1])
            chat = fake.world.chats.get(chat_id)
            if chat is None:
                return json_response(404, {"ok": False, "description": "no such chat"})
            user = fake.user(chat_id) if chat_id > 0 else None
            messages = [m.to_api() for m in chat.messages.values() if not m.deleted]
            return json_response(
                200, {"ok": True, "transcript": user.text_log() if user else "", "messages": messages}
            )
        if rest == "calls" and request.method == "GET":
            limit = int(request.query.get("limit", "50"))
            calls: list[dict[str, Any]] = [
                {
                    "method": c.method,
                    "status": c.status,
                    "params": {
                        k: (f"<{len(v)} bytes>" if isinstance(v, bytes) else v) for k, v in c.params.items()
                    },
                }
                for c in fake.calls[-limit:]
            ]
            return json_response(200, {"ok": True, "total": fake.total_calls, "calls": calls})
    except (KeyError, ValueError, AssertionError) as exc:
        return json_response(400, {"ok": False, "description": str(exc)})
    return json_response(404, {"ok": False, "description": "Not Found"})
