"""What every response of the dashboard carries, and the ids no route ever sees: one aiohttp middleware and
one response hook, so a route added later is covered without doing anything.

- Headers on every response (pages, files, API, errors): a Content-Security-Policy (scripts from the
  dashboard itself and Telegram's ``telegram-web-app.js`` only, no inline script, no plugin, framed only by
  Telegram's web clients), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, and a
  ``Server`` header without a version.
- A path id (``{id}``, ``{…_id}``) or an id-like query parameter (``id``, ``…_id``) that is not a plain decimal
  in the database's integer range (huge, negative, zero, non-numeric, other scripts' digits) is answered 404
  before any handler runs: never a database error, a 500 or a traceback in the log.
"""

from __future__ import annotations

import logging
import re

from aiohttp import web

log = logging.getLogger(__name__)

TELEGRAM_FRAMES = "https://web.telegram.org https://*.telegram.org"
CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self' https://telegram.org",
    "style-src 'self'",
    "img-src 'self' data:",  # the analysis chart is a PNG data URL
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    f"frame-ancestors {TELEGRAM_FRAMES}",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Server": "bidan",
}
MAX_ID = 2**31 - 1  # the tables' integer ids (PostgreSQL "integer")
_DECIMAL = re.compile(r"[0-9]{1,10}")


def id_like(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def valid_id(raw: str) -> bool:
    return _DECIMAL.fullmatch(raw) is not None and 0 < int(raw) <= MAX_ID


def _not_found() -> web.Response:
    return web.json_response({"error": "not found"}, status=404)


@web.middleware
async def guard(request: web.Request, handler) -> web.StreamResponse:
    for name, raw in request.match_info.items():
        if id_like(name) and not valid_id(raw):
            return _not_found()
    for name in {n for n in request.query if id_like(n)}:
        if not all(valid_id(v) for v in request.query.getall(name)):
            return _not_found()
    return await handler(request)


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every response, a static file or an error page too."""
    response.headers.update(HEADERS)


def install(web_app: web.Application) -> None:
    web_app.middlewares.append(guard)
    web_app.on_response_prepare.append(add_headers)
