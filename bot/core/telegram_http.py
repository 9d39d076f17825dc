"""A Bot API transport for python-telegram-bot on aiohttp, instead of PTB's default httpx.

Why: measured with the benchmarks (BENCHMARKS.md), one Bot API request through httpx costs about 1 ms of
CPU on a small server, against about 0.15 ms through aiohttp; for a bot that makes one to three requests per
update and sends reminders by the thousand, the HTTP client was the largest single cost. PTB supports other
transports through :class:`telegram.request.BaseRequest`; this one keeps PTB's behaviour: the same timeouts
(connect, read, write, pool), :class:`~telegram.error.TimedOut` on a timeout and
:class:`~telegram.error.NetworkError` on any other connection failure, and multipart uploads for files; other
requests carry their parameters as a JSON body (``application/json``, which the Bot API accepts like a form).
"""

from __future__ import annotations

import json

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.core.logs import redact

_JSON = {"Content-Type": "application/json"}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class AiohttpRequest(BaseRequest):
    """``Application.builder().request(AiohttpRequest(...))``; arguments as PTB's ``HTTPXRequest``."""

    __slots__ = ("_connect_timeout", "_media_write_timeout", "_pool_size", "_pool_timeout", "_read_timeout",
                 "_session", "_write_timeout")

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ):
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size)
            # No default timeout: every request gets its own (see do_request).
            self._session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None),
                                                  headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        params = request_data.json_parameters if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        # aiohttp has no write timeout of its own and its read timer runs while a request is sent, so an
        # upload gets the write timeout on top of the read timeout; small requests are sent at once.
        sock_read = None if read is None else read + ((write or 0) if files else 0)
        waiting = None if connect is None and pool is None else (connect or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(total=None, connect=waiting, sock_connect=connect, sock_read=sock_read)

        if files:
            body = aiohttp.FormData(quote_fields=False)
            for name, value in (params or {}).items():
                body.add_field(name, value)
            for name, part in files.items():
                if isinstance(part, tuple):
                    filename, content, mimetype = (*part, None)[:3]
                    body.add_field(name, content, filename=filename, content_type=mimetype)
                else:
                    body.add_field(name, part)
            data: object = body
            headers = None
        elif params:
            # A JSON body, which the Bot API takes as well as a form: one C-speed json.dumps of the parameters,
            # where form-encoding quoted the text byte by byte in Python (urllib's quote) and aiohttp's FormData
            # built a multipart writer, with a random boundary from the OS, for every request.
            data = _dumps(request_data.parameters).encode()
            headers = _JSON
        else:
            data, headers = None, None
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # aiohttp puts the URL (which holds the token) in some messages.
            raise NetworkError(redact(f"aiohttp.{err.__class__.__name__}: {err}")) from err
