"""FakeTelegram: a local Bot API server speaking Telegram's wire format, for tests and the simulator."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.devtools.local_server import LocalServer

from .control import handle_control
from .faults import Fault, FaultBook, FaultRule
from .methods import BotApi
from .recording import Call, CallLog
from .state import ChatRecord, FakeMessage, MessageListener, WallClock
from .updates import UpdateQueue, UpdateTicket
from .users import FakeUser
from .wire import TOKEN_RE, ApiError, Upload, json_response, ok_payload, read_params
from .world import BotIdentity, CallbackRecord, World

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST-TOKEN"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


class FakeTelegram(LocalServer):
    """A fake Telegram Bot API on 127.0.0.1.

    Use ``async with FakeTelegram() as fake:`` (or ``await fake.start()`` / ``await fake.stop()``) and
    point python-telegram-bot at ``fake.base_url`` / ``fake.base_file_url``. Play users with
    :meth:`user`; build the bot's Application with ``TrackingUpdateProcessor(fake)`` so that user actions
    return only once the bot has finished processing them.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "PijatOksitosinBot",
        bot_id: int | None = None,
        *,
        bot_first_name: str = "Pijat Oksitosin",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Any = None,
        record_calls: bool = True,
        max_calls: int | None = None,
        keep_bytes: bool = True,
        process_timeout: float = 10.0,
        first_update_id: int = 1,
    ):
        if not TOKEN_RE.match(token):
            raise ValueError(f"not a Telegram bot token: {token!r} (expected digits:letters)")
        self._token = token
        identity = BotIdentity(
            bot_id if bot_id is not None else int(token.split(":", 1)[0]), bot_username, bot_first_name
        )
        self.world = World(identity, clock or WallClock(), keep_bytes)
        self.updates = UpdateQueue(first_update_id)
        self.api = BotApi(self.world, self.updates, lambda: self._closing)
        self.faults = FaultBook()
        self._calls = CallLog(record_calls, max_calls)
        self.keep_bytes = keep_bytes
        self.process_timeout = process_timeout
        self.internal_errors: list[BaseException] = []
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.ServerRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closing = False
        self._webhook_target: tuple[str, str | None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._users: dict[int, Any] = {}
        self._next_user_id = 100001

    # --- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> FakeTelegram:
        if self._runner is not None:
            return self
        self._closing = False
        await self._serve(web.ServerRunner(web.Server(self._handle, access_log=None), shutdown_timeout=1.0), 1024)
        return self

    async def stop(self) -> None:
        self._closing = True
        self.updates.wake()  # long polls answer [] now
        for task in list(self._tasks):
            task.cancel()
        await self._close_http()

    # --- addresses -----------------------------------------------------------------------------------
    @property
    def token(self) -> str:
        return self._token

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def root_url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For PTB's ``base_url``: PTB appends the token."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"

    @property
    def bot_id(self) -> int:
        return self.world.bot.id

    @property
    def bot_username(self) -> str:
        return self.world.bot.username

    @property
    def clock(self) -> Any:
        return self.world.clock

    @clock.setter
    def clock(self, clock: Any) -> None:
        self.world.clock = clock

    # --- HTTP ----------------------------------------------------------------------------------------
    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path.startswith("/bot"):
            return await self._handle_api(request, path[4:])
        if path.startswith("/file/bot"):
            return self._handle_file(path[len("/file/bot") :])
        if path.startswith("/_fake/"):
            return await handle_control(self, request, path[len("/_fake/") :])
        return json_response(404, _NOT_FOUND)

    async def _handle_api(self, request: web.BaseRequest, rest: str) -> web.StreamResponse:
        token, _, method = rest.partition("/")
        if token != self._token:
            if TOKEN_RE.match(token):
                return json_response(401, _UNAUTHORIZED)
            return json_response(404, _NOT_FOUND)
        if not method or "/" in method:
            return json_response(404, _NOT_FOUND)
        at = self.world.now()
        lname = method.lower()
        uploads: dict[str, Upload] = {}
        params: dict[str, Any] = {}
        fault: Fault | None = None
        try:
            params, uploads = await read_params(request)
            if self.faults.rules:
                fault = self.faults.take(lname, params)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.drop:
                    if fault.apply_first:
                        try:
                            await self._dispatch(lname, params, uploads)
                        except ApiError:
                            pass
                    self._record(method, params, uploads, at, 0, None, fault)
                    if request.transport is not None:
                        request.transport.close()
                    return web.Response(status=204)
                error = fault.error()
                if error is not None:
                    raise error
            result = await self._dispatch(lname, params, uploads)
            status, payload = 200, ok_payload(result)
        except ApiError as err:
            status, payload = err.status, err.payload()
        except Exception as exc:  # a bug in the fake: answer 500 and keep it for the test to see
            log.exception("fake Telegram failed on %s", method)
            self.internal_errors.append(exc)
            status = 500
            payload = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: fake failed: {exc!r}",
            }
        self._record(method, params, uploads, at, status, payload, fault)
        return json_response(status, payload)

    async def _dispatch(self, lname: str, params: dict[str, Any], uploads: dict[str, Upload]) -> Any:
        if lname == "getupdates":
            return await self.api.get_updates(params)
        handler = self.api.handlers.get(lname)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(params, uploads)

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        uploads: dict[str, Upload],
        at: Any,
        status: int,
        payload: dict[str, Any] | None,
        fault: Fault | None,
    ) -> None:
        calls = self._calls
        calls.total += 1
        if not calls.enabled:
            return
        if uploads:
            params = dict(params)
            for key, upload in uploads.items():
                params[key] = upload.data if self.keep_bytes else None
        calls._calls.append(
            Call(method, params, at, status, payload, uploads if self.keep_bytes else {}, fault)
        )

    def _handle_file(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        if token != self._token:
            return json_response(
                401 if TOKEN_RE.match(token) else 404, _UNAUTHORIZED if TOKEN_RE.match(token) else _NOT_FOUND
            )
        stored = self.world.files.by_path(file_path)
        if stored is None or stored.data is None:
            return json_response(404, _NOT_FOUND)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    # --- recording -----------------------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        """Every request in arrival order (the last ``max_calls`` if bounded)."""
        return self._calls.all()

    def calls_to(self, *methods: str) -> list[Call]:
        """Calls to any of these methods (case-insensitive)."""
        return self._calls.to(methods)

    def calls_except_polling(self) -> list[Call]:
        return [call for call in self._calls.all() if call.method.lower() != "getupdates"]

    def reset_calls(self) -> None:
        self._calls.clear()

    @property
    def total_calls(self) -> int:
        """Requests served since start (counted even when recording is off)."""
        return self._calls.total

    # --- faults --------------------------------------------------------------------------------------
    def inject(
        self, method: str | None, fault: Fault, *, times: int | None = 1, chat_id: int | str | None = None
    ) -> FaultRule:
        """Make the next ``times`` calls to ``method`` (``"*"``/None: any method) fail with ``fault``.

        ``chat_id`` restricts it to calls for that chat; ``times=None`` keeps failing until cleared.
        """
        return self.faults.add(method, fault, times, chat_id)

    def clear_faults(self, method: str | None = None) -> None:
        self.faults.clear(method)

    def block(self, user_id: int) -> None:
        """From now on every call for this chat answers 403 "Forbidden: bot was blocked by the user"."""
        self.world.chat(user_id).blocked = True

    def unblock(self, user_id: int) -> None:
        self.world.chat(user_id).blocked = False

    # --- chats and messages --------------------------------------------------------------------------
    def chat(self, chat_id: int) -> ChatRecord:
        return self.world.chat(chat_id)

    def bot_messages(self, chat_id: int, include_deleted: bool = False) -> list[FakeMessage]:
        chat = self.world.chats.get(chat_id)
        return chat.bot_messages(include_deleted) if chat else []

    @property
    def sent_messages(self) -> list[FakeMessage]:
        """Every bot message in every chat, in sending order."""
        found = [m for chat in self.world.chats.values() for m in chat.messages.values() if m.from_bot]
        return sorted(found, key=lambda m: m.seq)

    def on_message(self, listener: MessageListener) -> None:
        """Call ``listener(message, event)`` when the bot sends ("sent"), edits or deletes a message."""
        self.world.listeners.append(listener)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str | None = None
    ) -> list[dict[str, Any]]:
        """The command list the bot set with setMyCommands for this scope and language."""
        return self.api.settings.get_my_commands({"scope": scope, "language_code": language_code}, {})

    @property
    def webhook(self) -> Any:
        return self.world.webhook

    # --- users ---------------------------------------------------------------------------------------
    def user(
        self,
        user_id: int | None = None,
        first_name: str = "Siti",
        username: str | None = None,
        language_code: str | None = "id",
        *,
        last_name: str | None = None,
    ) -> Any:
        """A :class:`FakeUser` (the same object again for the same user_id)."""
        if user_id is None:
            while self._next_user_id in self._users:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        user = FakeUser(
            self, user_id, first_name, username=username, language_code=language_code, last_name=last_name
        )
        self._users[user_id] = user
        return user

    @property
    def users(self) -> list[Any]:
        return list(self._users.values())

    # --- updates -------------------------------------------------------------------------------------
    def enqueue_update(self, update: dict[str, Any], *, unfiltered: bool = False) -> UpdateTicket:
        """Queue a raw update for the bot (``update_id`` is added when missing). Does not wait.

        The update may be anything, also one python-telegram-bot cannot parse. ``unfiltered``: served even
        when its kind is outside the bot's ``allowed_updates`` (as Telegram may, for a while, after a change).
        """
        target = self._webhook_target
        self._register_callback(update)
        ticket = self.updates.add(dict(update), queue=False)
        ticket.unfiltered = unfiltered
        if target is None:
            self.updates.queue(ticket)
        if target is not None:
            self._spawn(self._push_webhook(ticket, *target))
        return ticket

    def _register_callback(self, update: dict[str, Any]) -> None:
        """A raw callback_query update gets an answerable query id, as if a user had pressed."""
        query = update.get("callback_query")
        if not isinstance(query, dict) or "id" not in query or str(query["id"]) in self.world.callbacks:
            return
        message = query.get("message") or {}
        user_id = int((query.get("from") or {}).get("id", 0))
        record = CallbackRecord(
            str(query["id"]),
            user_id,
            (message.get("chat") or {}).get("id"),
            message.get("message_id"),
            query.get("data"),
        )
        self.world.callbacks[record.query_id] = record
        self.world.user_callbacks.setdefault(user_id, []).append(record)

    async def wait_processed(self, ticket: UpdateTicket, timeout: float | None = None) -> UpdateTicket:
        await ticket.wait(self.process_timeout if timeout is None else timeout)
        return ticket

    async def deliver(self, update: dict[str, Any], timeout: float | None = None) -> UpdateTicket:
        """Queue a raw update and wait until the bot has finished processing this very delivery."""
        return await self.wait_processed(self.enqueue_update(update), timeout)

    def mark_processed(self, update_id: int, error: BaseException | None = None) -> None:
        """Called by :class:`TrackingUpdateProcessor` when the bot finished an update."""
        self.updates.mark_processed(update_id, error)

    async def wait_polling(self, timeout: float | None = None) -> None:
        """Wait until a getUpdates long poll is waiting on the fake (the bot is polling)."""
        try:
            await asyncio.wait_for(
                self.api.poll_waiting.wait(), self.process_timeout if timeout is None else timeout
            )
        except TimeoutError:
            raise AssertionError("no getUpdates long poll reached the fake: is the bot polling?") from None

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Wait until every enqueued update has been processed."""
        await self.updates.wait_idle(self.process_timeout if timeout is None else timeout)

    # --- webhook mode --------------------------------------------------------------------------------
    def use_webhook(self, url: str, secret_token: str | None = None) -> None:
        """Deliver enqueued updates (including users' actions) by POSTing them to the bot's local webhook."""
        _check_local(url)
        self._webhook_target = (url, secret_token)

    def use_polling(self) -> None:
        self._webhook_target = None

    async def post_webhook(
        self,
        url: str,
        update: dict[str, Any],
        secret_token: str | None = None,
        *,
        wait: bool = False,
        timeout: float | None = None,
    ) -> int:
        """POST one update to the bot's webhook on this machine; returns the HTTP status.

        With ``wait=True`` (and status 200) also wait until the bot has processed it.
        """
        _check_local(url)
        self._register_callback(update)
        ticket = self.updates.add(dict(update), queue=False) if wait else None
        payload = ticket.payload if ticket else update
        if ticket is not None:
            self.updates.mark_delivered(ticket)
        status = await self._post(url, payload, secret_token)
        if ticket is not None:
            if status == 200:
                await self.wait_processed(ticket, timeout)
            else:
                self.updates.reject(ticket, f"the webhook answered HTTP {status}")
        return status

    async def post_webhook_raw(self, url: str, body: bytes, secret_token: str | None = None,
                               content_type: str = "application/json") -> tuple[int, bytes]:
        """POST any bytes (a malformed body, say) to the bot's webhook; returns the status and the answer."""
        _check_local(url)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": content_type}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        async with self._session.post(url, data=body, headers=headers) as response:
            return response.status, await response.read()

    async def _post(self, url: str, payload: dict[str, Any], secret_token: str | None) -> int:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token is not None else {}
        async with self._session.post(url, json=payload, headers=headers) as response:
            await response.read()
            return response.status

    async def _push_webhook(self, ticket: UpdateTicket, url: str, secret_token: str | None) -> None:
        self.updates.mark_delivered(ticket)
        try:
            status = await self._post(url, ticket.payload, secret_token)
        except (aiohttp.ClientError, OSError) as exc:
            self.updates.reject(ticket, f"the webhook could not be reached: {exc!r}")
            return
        if status != 200:
            self.updates.reject(ticket, f"the webhook answered HTTP {status}")

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def __repr__(self) -> str:
        where = self.base_url if self._port else "not started"
        return f"<FakeTelegram @{self.world.bot.username} {where}>"


def _check_local(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOCAL_HOSTS:
        raise ValueError(f"the fake only posts to this machine (127.0.0.1/localhost), not {host!r}")
