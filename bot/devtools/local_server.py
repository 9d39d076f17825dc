"""What the fake APIs share as local HTTP servers: a listening socket on 127.0.0.1 (port 0 = any free port), an
aiohttp runner on it, their own client session for calls back to the bot, and ``async with``."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
from aiohttp import web


class LocalServer:
    """Mixed into a fake API: ``_host``/``_requested_port`` set by it; ``start`` builds its runner and calls
    :meth:`_serve`; ``stop`` ends with :meth:`_close_http`."""

    _host: str
    _requested_port: int
    _port: int | None = None
    _runner: web.BaseRunner | None = None
    _session: aiohttp.ClientSession | None = None

    def _listen(self, backlog: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._requested_port))
        sock.listen(backlog)
        sock.setblocking(False)
        self._port = sock.getsockname()[1]
        return sock

    async def _serve(self, runner: web.BaseRunner, backlog: int) -> None:
        sock = self._listen(backlog)
        self._runner = runner
        await runner.setup()
        await web.SockSite(runner, sock).start()

    async def _close_http(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def start(self) -> Any:  # pragma: no cover - each fake starts its own runner
        raise NotImplementedError

    async def stop(self) -> None:
        await self._close_http()

    async def __aenter__(self) -> Any:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
