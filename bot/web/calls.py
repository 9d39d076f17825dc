"""One dashboard API request (:class:`Call`): the midwife it comes from (Telegram's initData), one database
session off the event loop, and the Telegram messages it queues, sent afterwards (:func:`api`)."""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram.error import TelegramError
from telegram.ext import Application

from bot.core.outgoing import Outgoing, deliver
from bot.core.runtime import Runtime, get_runtime
from bot.flows import midwife as rules
from bot.web import guard
from bot.web.auth import InitDataError, validate
from storage import staff as staff_store
from storage.db import reading
from storage.models import Family, Staff, User

log = logging.getLogger(__name__)

APP_KEY = web.AppKey("ptb_application", Application)


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Call:
    """One API request: who, inside which session, and what to send afterwards."""

    rt: Runtime
    staff: Staff
    session: Any
    outgoing: list[Outgoing] = field(default_factory=list)

    def t(self, key: str, /, **params: object) -> str:
        return self.rt.content.text(key, **params)


def _app(request: web.Request) -> Application:
    return request.app[APP_KEY]


def _staff_for(rt: Runtime, request: web.Request, session) -> Staff:
    header = request.headers.get("Authorization", "")
    scheme, _, init_data = header.partition(" ")
    if scheme.lower() != "tma" or not init_data:
        raise Refused(401, "missing initData")
    try:
        user = validate(init_data.strip(), rt.settings.require_token(), now=rt.clock.now())
    except InitDataError as exc:
        raise Refused(401, str(exc)) from None
    staff = staff_store.active_for_telegram_id(session, user.telegram_id)
    if staff is None:
        raise Refused(403, "not a midwife")
    return staff


def api(handler):
    """Authenticate, open one session, run ``handler(call, request) -> dict``, send the queued messages.

    The database and file work runs off the event loop (Runtime.run_off_loop: the chat's database thread
    pool, or a side thread on SQLite), so a midwife's export or table never holds a family's reply."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        app = _app(request)
        rt = get_runtime(app)
        body = None
        if request.method == "POST":
            try:
                body = await request.json() if request.can_read_body else {}
            except (json.JSONDecodeError, UnicodeDecodeError):
                return web.json_response({"error": "bad json"}, status=400)
            if not isinstance(body, dict):
                return web.json_response({"error": "bad json"}, status=400)

        def work() -> tuple[Any, list[Outgoing]]:
            # A GET only reads (the analysis commits its reads before its audit row): no SQLite write lock.
            with reading() if request.method == "GET" else nullcontext(), rt.db.session() as session:
                call = Call(rt, _staff_for(rt, request, session), session)
                result = handler(call, request, body or {})
                if isinstance(result, dict | list):
                    result = json.dumps(result, ensure_ascii=False)  # serialised in the thread too
            return result, call.outgoing

        try:
            result, outgoing = await rt.run_off_loop(work)
        except Refused as exc:
            return web.json_response({"error": exc.reason}, status=exc.status)
        except Exception:
            log.exception("dashboard request %s %s failed", request.method, request.path)
            return web.json_response({"error": "server error"}, status=500)
        for out in outgoing:
            try:
                await deliver(app.bot, out)
            except TelegramError as exc:
                log.warning("dashboard: sending %s to chat %s failed: %s", out.kind, out.chat_id, exc)
        if isinstance(result, web.StreamResponse):
            return result
        return web.Response(text=result, content_type="application/json")

    return wrapped


def _int(request: web.Request, name: str) -> int:
    try:
        value = int(request.match_info[name])
    except (KeyError, ValueError):
        raise Refused(404, "not found") from None
    if not guard.valid_id(str(value)):
        raise Refused(404, "not found")
    return value


def _family(call: Call, family_id: int) -> Family:
    family = rules.family_of_facility(call.session, call.staff, family_id)
    if family is None:
        raise Refused(403, "not allowed")
    return family


def _chat_id(call: Call) -> int:
    user = call.session.get(User, call.staff.user_id)
    if user is None or user.chat_id is None:
        raise Refused(403, "no chat")
    return user.chat_id
