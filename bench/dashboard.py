"""The dashboard's families table for a facility of N families (the issue asks for 1,000).

Seeds N families of one facility as the export benchmark does (mother + husband, six sessions, a completed pre
and post checklist each), plus an open danger alert for 1 in 20 and an unanswered question for 1 in 20, and
one midwife. Then, against the real web server of the bot (``bot/web/server.py``, on 127.0.0.1):

- ``GET /app/api/families`` with a correctly signed initData: wall time per request (triage of every family,
  JSON of every row), median and p95 over ``--repeat`` requests after one warm-up, and the response size;
- in headless chromium (if ``/usr/bin/chromium`` is there): from navigation to the table drawn
  (``body[data-state=families]``), the whole path a midwife waits for (page, texts, /me, /families, render).

- ``--under-load``: the whole bot (real Application, its web server, the fake Bot API over HTTP) while a midwife
  uses the dashboard: three exports (xlsx, csv, sav), the families table and the analysis tab at once, again
  and again; meanwhile a registered mother sends ``/menu`` every 50 ms: each reply's time from her message to
  the bot's answer (p50, p99, max), and the same without the dashboard load.

``python -m bench.dashboard`` (1,000 families), ``--families 200`` for a quick look, ``--postgres`` to use
PostgreSQL (``BENCH_POSTGRES_URL``) instead of SQLite, ``--no-browser`` to skip chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.common import database
from bench.export import START, seed_study

TOKEN = "123456:BENCH-TOKEN"
MIDWIFE = 99_000_001


def _extras(url: str, n: int) -> None:
    """A midwife, and alerts and questions on some of the families."""
    from sqlmodel import select

    from bot.devtools.demo import add_midwife
    from storage import questions as question_store
    from storage.db import Database
    from storage.models import Alert, Facility, Family

    db = Database(url)
    with db.session() as session:
        facility = session.exec(select(Facility).where(Facility.code == "BENCH")).one()
        add_midwife(session, facility, telegram_id=MIDWIFE, name="Bidan Bench", now=START)
        fams = list(session.exec(select(Family.id).where(Family.facility_id == facility.id)))
        for i, fid in enumerate(fams):
            if i % 20 == 0:
                session.add(Alert(family_id=fid, facility_id=facility.id, sign_id="bayi_kejang", source="text",
                                  raised_at=START - timedelta(minutes=i), last_notified_at=START))
            if i % 20 == 7:
                question_store.ask(session, family_id=fid, facility_id=facility.id, asked_by=None,
                                   text="pertanyaan", now=START)
    db.dispose()


async def _measure(url: str, repeat: int) -> dict:
    import aiohttp

    from bot.core.app import build_application
    from bot.core.clock import FakeClock
    from bot.core.config import Settings
    from bot.web.auth import sign
    from bot.web.server import make_web_app
    from storage.db import Database

    now = START + timedelta(days=2)
    db = Database(url)
    settings = Settings(token=TOKEN, api_url="http://127.0.0.1:9/bot", database_url=url, rate_limit=False,
                        run_dispatcher=False, health_file=None)
    app = build_application(settings, db=db, clock=FakeClock(now))
    web_app = make_web_app(app)
    from aiohttp import web

    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
    base = f"http://127.0.0.1:{port}"
    init = sign(TOKEN, user={"id": MIDWIFE, "first_name": "Bench"}, auth_date=now - timedelta(minutes=1))
    headers = {"Authorization": "tma " + init}
    times = []
    size = rows = 0
    async with aiohttp.ClientSession() as http:
        for i in range(repeat + 1):
            t0 = time.perf_counter()
            async with http.get(base + "/app/api/families", headers=headers) as r:
                body = await r.read()
                assert r.status == 200, r.status
            if i:  # the first one warms caches up
                times.append(time.perf_counter() - t0)
            size, rows = len(body), len(json.loads(body)["families"])
    out = {"api_median_ms": statistics.median(times) * 1000,
           "api_p95_ms": sorted(times)[max(0, int(len(times) * 0.95) - 1)] * 1000,
           "api_bytes": size, "rows": rows}
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if chromium and not os.environ.get("BENCH_NO_BROWSER"):
        out.update(await _browser(chromium, base, init, repeat=max(3, repeat // 3)))
    await runner.cleanup()
    db.dispose()
    return out


async def _browser(chromium: str, base: str, init: str, *, repeat: int) -> dict:
    from playwright.async_api import async_playwright

    noop = "function(){}"
    stub = ("window.Telegram={WebApp:{initData:" + json.dumps(init) + f",ready:{noop},expand:{noop},"
            f"BackButton:{{show:{noop},hide:{noop},onClick:{noop}}}}}}};")
    times = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for i in range(repeat + 1):
            page = await browser.new_page(viewport={"width": 360, "height": 740})

            async def route(r):
                await r.fulfill(status=200, content_type="application/javascript", body=stub)

            # Only Telegram's script is intercepted: the page's own requests go straight to the server.
            await page.route("https://telegram.org/js/telegram-web-app.js", route)
            t0 = time.perf_counter()
            await page.goto(base + "/app/")
            await page.wait_for_selector("body[data-state=families]", timeout=60_000)
            if i:
                times.append(time.perf_counter() - t0)
            drawn = await page.eval_on_selector_all("#families tbody tr", "rs => rs.length")
            await page.close()
        await browser.close()
    return {"browser_median_ms": statistics.median(times) * 1000, "browser_max_ms": max(times) * 1000,
            "browser_rows": drawn}


MOTHER = 99_000_101


async def _under_load(url: str, *, seconds: float) -> dict:
    """A family's reply times with and without a midwife's dashboard load (see the module docstring)."""
    import aiohttp
    from sqlmodel import select

    from bot.core.clock import FakeClock
    from bot.core.config import Settings
    from bot.devtools.demo import add_family
    from bot.devtools.fake_telegram import FakeTelegram
    from bot.devtools.harness import RunningBot
    from bot.web.auth import sign
    from bot.web.server import PORT_KEY
    from storage.db import Database
    from storage.models import Facility

    now = START + timedelta(days=2)
    db = Database(url)
    with db.session() as session:
        facility = session.exec(select(Facility).where(Facility.code == "BENCH")).one()
        add_family(session, facility, now=now, age_days=2, mother=(MOTHER, "IbuBench"), chat_ids=True)
    async with FakeTelegram(token=TOKEN) as fake:
        settings = Settings(token=TOKEN, api_url=fake.base_url, database_url=url, rate_limit=False,
                            run_dispatcher=False, health_file=None, web_port=0, web_listen="127.0.0.1")
        clock = FakeClock(now)
        running = RunningBot(settings=settings, db=db, clock=clock, fake=fake)
        await running.start()
        base = f"http://127.0.0.1:{running.app.bot_data[PORT_KEY]}"
        fake.user(user_id=MIDWIFE, first_name="Bench")  # her chat, where the exports arrive
        mother = fake.user(user_id=MOTHER, first_name="IbuBench")
        headers = {"Authorization": "tma " + sign(TOKEN, user={"id": MIDWIFE, "first_name": "Bench"},
                                                  auth_date=now - timedelta(minutes=1))}

        async def replies(stop: asyncio.Event) -> list[float]:
            times = []
            while not stop.is_set():
                t0 = time.perf_counter()
                await mother.send("/menu", timeout=60)
                times.append(time.perf_counter() - t0)
                await asyncio.sleep(0.05)
            return times

        done_requests = 0

        async def midwife(http, stop: asyncio.Event) -> None:
            nonlocal done_requests

            async def one(method: str, path: str, body=None) -> None:
                nonlocal done_requests
                async with http.request(method, base + path, headers=headers, json=body) as r:
                    await r.read()
                    assert r.status == 200, (path, r.status)
                done_requests += 1

            calls = {"xlsx": ("POST", "/app/api/export", {"format": "xlsx"}),
                     "csv": ("POST", "/app/api/export", {"format": "csv"}),
                     "sav": ("POST", "/app/api/export", {"format": "sav"}),
                     "families": ("GET", "/app/api/families", None), "analysis": ("GET", "/app/api/analysis", None)}
            chosen = os.environ.get("BENCH_LOAD", ",".join(calls)).split(",")
            while not stop.is_set():
                await asyncio.gather(*(one(*calls[c]) for c in chosen))

        async def phase(load: bool) -> list[float]:
            stop = asyncio.Event()
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as http:
                tasks = [asyncio.create_task(midwife(http, stop))] if load else []
                reply_task = asyncio.create_task(replies(stop))
                await asyncio.sleep(seconds)
                stop.set()
                times = await reply_task
                await asyncio.gather(*tasks)
            return times

        quiet = await phase(False)
        loaded = await phase(True)
        await running.stop()
    db.dispose()

    def pct(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, math.ceil(q * len(xs)) - 1)] * 1000

    return {"reply_quiet_p50_ms": pct(quiet, .5), "reply_quiet_p99_ms": pct(quiet, .99),
            "reply_loaded_p50_ms": pct(loaded, .5), "reply_loaded_p99_ms": pct(loaded, .99),
            "reply_loaded_max_ms": max(loaded) * 1000, "replies_loaded": len(loaded),
            "dashboard_requests_done": done_requests}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--no-browser", action="store_true", help="skip the chromium measurement")
    parser.add_argument("--under-load", type=float, default=0, metavar="SECONDS",
                        help="also measure a family's replies while a midwife exports, for this long per phase")
    args = parser.parse_args(argv)
    if args.no_browser:
        os.environ["BENCH_NO_BROWSER"] = "1"
    kind = "postgres" if args.postgres else "sqlite"
    pg = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with database(kind, pg, "dashboard") as url:
        t0 = time.perf_counter()
        seed_study(url, args.families)
        _extras(url, args.families)
        print(f"seeded {args.families} families ({kind}) in {time.perf_counter() - t0:.1f} s")
        result = asyncio.run(_measure(url, args.repeat))
        if args.under_load:
            result.update(asyncio.run(_under_load(url, seconds=args.under_load)))
    result.update(families=args.families, database=kind, at=datetime.now(UTC).isoformat(timespec="minutes"))
    for key, value in result.items():
        print(f"{key}: {value:.1f}" if isinstance(value, float) else f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
