"""A second, independent, minimal fake Bot API for the benchmarks: aiohttp, a few dozen lines of serving.

It shares no code with bot/devtools/fake_telegram (the project's full fake, which keeps a world of chats,
messages, edits and callbacks, validates every parameter and records what happened). This one does only what a
throughput measurement needs, as cheaply as it can, so the bare echo bot it serves is limited by the bot and not
by the fake:

- ``getMe``; ``deleteWebhook`` (python-telegram-bot's polling calls it once at start; answered ``true``);
- ``getUpdates``: ``offset`` confirms, ``limit`` (≤ 100), ``timeout`` long-polls until an update is queued;
- ``sendMessage``: counted and answered with a minimal Message;
- any other method: 400 "method not supported" (our bot logs it and goes on: ``setMyCommands`` at start).

It runs in a process of its own (``python -m bench.mini_bot_api``, 127.0.0.1 only), like bench/fakeproc.py, and
is driven over HTTP: ``POST /control/enqueue`` ``{"updates": [...]}`` → ``{"first", "last"}``, ``POST
/control/stats`` (or ``cpu``) → calls served and CPU seconds. :class:`MiniServer` is the parent side, with the same
``call`` / ``enqueue`` / ``base_url`` / ``token`` as bench/fakeproc.FakeServer, so bench/engine.py runs
against either.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456:MINI-bench-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "Mini", "username": "mini_bench_bot"}


class MiniApi:
    def __init__(self) -> None:
        self.queue: deque[dict[str, Any]] = deque()
        self.next_id = 1
        self.message_id = 0
        self.calls = 0
        self.sent = 0
        self.peers: set[object] = set()  # the client connections seen (address, port)
        self.arrived = asyncio.Event()

    # -- the Bot API side --------------------------------------------------------------------------------
    async def handle(self, request):
        from aiohttp import web

        self.calls += 1
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername"))
        token, _, method = request.match_info["tail"].partition("/")
        if token != "bot" + TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params = await _params(request)
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self.get_updates(params)})
        if method == "sendMessage":
            self.sent += 1
            self.message_id += 1
            chat_id = int(params["chat_id"])
            return web.json_response({"ok": True, "result": {
                "message_id": self.message_id, "date": int(time.time()), "from": BOT,
                "chat": {"id": chat_id, "type": "private"}, "text": str(params.get("text", ""))}})
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT})
        if method == "deleteWebhook":
            return web.json_response({"ok": True, "result": True})
        return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: method not supported"},
                                 status=400)

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        while self.queue and self.queue[0]["update_id"] < offset:
            self.queue.popleft()
        if not self.queue:
            self.arrived.clear()
            timeout = float(params.get("timeout") or 0)
            if timeout > 0:
                try:
                    await asyncio.wait_for(self.arrived.wait(), timeout)
                except TimeoutError:
                    return []
        limit = max(1, min(100, int(params.get("limit") or 100)))
        return [self.queue[i] for i in range(min(limit, len(self.queue)))]

    # -- the control side --------------------------------------------------------------------------------
    async def control(self, request):
        from aiohttp import web

        op = request.match_info["op"]
        body = await request.json() if request.can_read_body else {}
        if op == "enqueue":
            first = self.next_id
            for update in body.get("updates", []):
                update = dict(update)
                update["update_id"] = self.next_id
                self.next_id += 1
                self.queue.append(update)
            self.arrived.set()
            return web.json_response({"ok": True, "first": first, "last": self.next_id - 1,
                                      "n": self.next_id - first})
        if op in ("stats", "cpu"):
            return web.json_response({"ok": True, "calls": self.calls, "sent": self.sent, "connections": len(self.peers),
                                      "cpu": time.process_time(), "queued": len(self.queue)})
        return web.json_response({"ok": False, "error": f"unknown op {op}"}, status=400)


async def _params(request) -> dict[str, Any]:
    if not request.can_read_body:
        return dict(request.query)
    raw = await request.read()
    if request.content_type == "application/json":
        return json.loads(raw or b"{}")
    # python-telegram-bot posts form fields, each value JSON-encoded when it is not a plain string
    return {k: _value(v) for k, v in parse_qsl(raw.decode(), keep_blank_values=True)}


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


async def _serve(port: int) -> None:
    from aiohttp import web

    api = MiniApi()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/control/{op}", api.control)
    app.router.add_route("*", "/{tail:.*}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    actual = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the port chosen for port 0
    sys.stdout.write(json.dumps({"port": actual, "pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


class MiniServer:
    """``async with MiniServer() as fake:`` — the minimal fake Bot API in a child process."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.port = 0
        self.pid = 0
        self.token = TOKEN
        self._http = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> MiniServer:
        import aiohttp

        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.mini_bot_api", stdout=asyncio.subprocess.PIPE,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        hello = json.loads(await self.proc.stdout.readline())
        self.port, self.pid = hello["port"], hello["pid"]
        self._http = aiohttp.ClientSession()
        return self

    async def call(self, op: str, **params: Any) -> dict[str, Any]:
        async with self._http.post(f"http://127.0.0.1:{self.port}/control/{op}", json=params) as r:
            answer = await r.json()
        if not answer.get("ok"):
            raise RuntimeError(f"mini Bot API: {op} failed: {answer.get('error')}")
        return answer

    async def enqueue(self, updates: list[dict[str, Any]], chunk: int = 5000) -> None:
        for i in range(0, len(updates), chunk):
            await self.call("enqueue", updates=updates[i:i + chunk])

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self.proc is not None:
            proc, self.proc = self.proc, None
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    async def __aenter__(self) -> MiniServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


if __name__ == "__main__":
    try:
        asyncio.run(_serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    except KeyboardInterrupt:
        pass
