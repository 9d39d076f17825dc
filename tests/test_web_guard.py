"""The dashboard's hardening over real HTTP (bot/web/guard.py): security headers on every response, and a fuzz
table of every API path and query parameter: ids out of range, negative, non-numeric or in other scripts'
digits get 404 (or the route's own 4xx), never a 500, and nothing is logged with a traceback."""

from __future__ import annotations

import itertools
import logging
import re

import aiohttp

from bot.web.server import RUNNER_KEY
from tests.dashboard_support import dashboard_bot, init_data
from tests.test_midwife_support import MIDWIFE_A, two_facilities

BAD_IDS = ["0", "-1", "-2147483649", "2147483648", "9223372036854775808", "1" * 40, "1e5", "0x10", "abc",
           "١٢", "²", "1.5", " 1", "1%00", "%F0%9F%98%80", "null", "NaN", "' OR 1=1--"]
QUERY_VALUES = ["", "1", "-1", "99999999999999999999", "abc", "²", "١", "%00", "x" * 300, "1.0", "[]"]
QUERY_NAMES = ["protocol", "version", "id", "family_id", "page", "q"]
BODIES = [None, {}, {"text": 12}, {"text": "x" * 5000}, {"format": ["x"]}, {"format": "exe"}, {"text": None},
          {"protocol": 1, "version": "²"}]


def _routes(running) -> list[tuple[str, str]]:
    router = running.app.bot_data[RUNNER_KEY].app.router
    out = []
    for route in router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("formatter") or info.get("path")
        if path and path.startswith("/app/api/") and route.method in ("GET", "POST"):
            out.append((route.method, path))
    return out


async def test_every_api_path_and_query_parameter_fuzzed_gives_no_500(settings, db, clock, fake_tg, caplog):
    world = two_facilities(db, clock.now())
    caplog.set_level(logging.INFO)
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        auth = {"Authorization": "tma " + init_data(running, MIDWIFE_A)}
        huge_user = {"Authorization": "tma " + init_data(running, 10**30)}
        routes = _routes(running)
        assert any("{id}" in p for _, p in routes) and any(m == "POST" for m, _ in routes)
        seen: dict[int, int] = {}
        async with aiohttp.ClientSession() as http:
            async def hit(method: str, url: str, headers: dict, body=None) -> int:
                async with http.request(method, url, headers=headers, json=body) as r:
                    await r.read()
                    assert r.status < 500, (method, url, body, r.status)
                    assert r.headers.get("X-Content-Type-Options") == "nosniff"
                    seen[r.status] = seen.get(r.status, 0) + 1
                    return r.status

            for method, path in routes:
                for bad in BAD_IDS if "{" in path else [None]:
                    url = base + re.sub(r"\{[^}]+\}", bad, path) if bad is not None else base + path
                    status = await hit(method, url, auth, {} if method == "POST" else None)
                    if bad is not None:
                        assert status == 404, (url, status)
                real = re.sub(r"\{[^}]+\}", str(world.mothers_family.family_id), path)
                names = QUERY_NAMES if method == "GET" else ["id", "family_id"]  # a POST acts: fewer
                for name, value in itertools.product(names, QUERY_VALUES):
                    await hit(method, f"{base}{real}?{name}={value}", auth, {} if method == "POST" else None)
                if method == "POST":
                    for body in BODIES:
                        await hit(method, base + real, auth, body)
                status = await hit(method, base + real, huge_user, {} if method == "POST" else None)
                assert status == 401 or path == "/app/api/texts", (path, status)  # the page's words are public
    assert seen.get(404, 0) >= len(BAD_IDS)
    broken = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()]
    assert not broken, [(r.name, r.getMessage()) for r in broken[:5]]


async def test_every_response_carries_the_security_headers(settings, db, clock, fake_tg):
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base), aiohttp.ClientSession() as http:
        for path in ("/app/", "/app/static/app.js", "/app/api/texts", "/app/api/me", "/app/nothing-here",
                     "/app/api/families/99999999999999999999"):
            async with http.get(base + path, allow_redirects=False) as r:
                csp = r.headers.get("Content-Security-Policy", "")
                assert "script-src 'self' https://telegram.org" in csp, path
                assert "frame-ancestors https://web.telegram.org https://*.telegram.org" in csp, path
                assert "'unsafe-inline'" not in csp
                assert r.headers.get("X-Content-Type-Options") == "nosniff", path
                assert r.headers.get("Referrer-Policy") == "no-referrer", path
                server = r.headers.get("Server", "")
                assert not re.search(r"\d", server) and "aiohttp" not in server.lower() and "python" not in server.lower(), server
