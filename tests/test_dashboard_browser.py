"""The dashboard driven in a real headless browser (Debian's chromium, through Playwright), against the running
bot's own web server and the fake Bot API: her families only (urgent first), a family page, "Sudah ditangani"
updating the chat message and telling the family, the per-protocol analysis of /analisis (with a selector when
her families are on more than one protocol) and its workbook, an export into her chat, light and dark
themes on a small phone screen, and a forged initData showing the error page.

Telegram's ``telegram-web-app.js`` is stubbed (the page loads it from telegram.org as Telegram documents; no
request leaves 127.0.0.1). Needs ``/usr/bin/chromium``: without it the tests skip, unless CI is set.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.devtools.demo import STUDY_MIDWIFE_PROTOCOL, add_family, seed_demo, seed_study_demo
from storage import facilities, users
from storage import questions as question_store
from storage.models import Alert, Facility
from tests.dashboard_support import dashboard_bot, init_data
from tests.test_midwife_desk import consent
from tests.test_midwife_support import HUSBAND, MIDWIFE_A, MOTHER

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.async_api") if not os.environ.get("CI") else None
if playwright_api is None:
    import playwright.async_api as playwright_api  # in CI a missing Playwright is a failure, not a skip

TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"
PHONE = {"width": 360, "height": 740}
DARK = {"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499", "link_color": "#6ab3f3",
        "button_color": "#5288c1", "button_text_color": "#ffffff", "secondary_bg_color": "#232e3c"}
LIGHT = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#999999", "link_color": "#2481cc",
         "button_color": "#2481cc", "button_text_color": "#ffffff", "secondary_bg_color": "#efeff3"}


def telegram_stub(init: str, theme: dict) -> str:
    """What telegram-web-app.js gives the page: initData, ready/expand, the theme as CSS variables."""
    return f"""
    (function () {{
      var theme = {json.dumps(theme)};
      var root = document.documentElement;
      Object.keys(theme).forEach(function (k) {{
        root.style.setProperty('--tg-theme-' + k.replace(/_/g, '-'), theme[k]);
      }});
      window.Telegram = {{ WebApp: {{
        initData: {json.dumps(init)}, themeParams: theme, colorScheme: theme.bg_color === '#17212b' ? 'dark' : 'light',
        ready: function () {{}}, expand: function () {{}},
        BackButton: {{ show: function () {{}}, hide: function () {{}}, onClick: function () {{}} }}
      }} }};
    }})();
    """


@pytest.fixture
async def browser():
    async with playwright_api.async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            await b.close()


async def open_page(browser, base: str, init: str, theme: dict = LIGHT, *, csp: bool = False):
    # Playwright's wait_for_function evaluates strings, which the dashboard's Content-Security-Policy forbids
    # (no eval): the page is driven with the policy bypassed, and loaded under it in its own test (csp=True).
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, bypass_csp=not csp)
    page = await context.new_page()
    leaked: list[str] = []

    async def route(r):
        url = r.request.url
        if url == TELEGRAM_JS:
            await r.fulfill(status=200, content_type="application/javascript", body=telegram_stub(init, theme))
        elif url.startswith(base):
            await r.continue_()
        else:
            leaked.append(url)
            await r.abort()

    await page.route("**/*", route)
    await page.goto(base + "/app/")
    return page, leaked


def seed(db, clock):
    """The demo facility (12 families, one open alert, one unreachable husband) with midwife 2001, Siti and
    Budi's family (a shared phone, an open alert, a question), and another facility's family."""
    now = clock.now()
    with db.session() as session:
        demo = seed_demo(session, now, families_count=12, midwife_telegram_id=MIDWIFE_A, midwife_name="Bidan Aminah")
        fam = add_family(session, demo.facility, now=now, age_days=2, mother=(MOTHER, "Siti"),
                         husband=(HUSBAND, "Budi"), chat_ids=True)
        siti = users.get_by_telegram_id(session, MOTHER)
        siti.phone = "+6281234567890"
        session.add(siti)
        question_store.ask(session, family_id=fam.family_id, facility_id=demo.facility.id, asked_by=siti.id,
                           text="Bu bidan, ASI saya baru sedikit, apakah normal?", now=now - timedelta(minutes=20))
        other = facilities.create(session, name="Puskesmas Lain", now=now)
        theirs = add_family(session, other, now=now, age_days=3, mother=(777_001, "IbuLain"))
        session.flush()
        return demo, fam, theirs


async def test_the_dashboard_as_a_midwife_uses_it(browser, settings, db, clock, fake_tg, midwife, mother, husband,
                                                  tmp_path):
    demo, fam, theirs = seed(db, clock)
    consent(db, clock, MOTHER, HUSBAND)
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        # The chat alert she got earlier (sent through the bot, so its message can be updated later).
        await mother.send("bayi saya kejang")
        with db.session() as session:
            alert_id = session.exec(select(Alert).where(Alert.family_id == fam.family_id)
                                    .order_by(Alert.id)).first().id
        page, leaked = await open_page(browser, base, init_data(running, MIDWIFE_A))
        await page.wait_for_selector("body[data-state=families]")
        codes = await page.eval_on_selector_all("#families tbody tr", "rows => rows.map(r => r.dataset.code)")
        assert sorted(codes) == sorted([*map(_code(db), demo.family_ids), fam.code])
        assert theirs.code not in codes
        with db.session() as session:
            demo_alert = session.exec(select(Alert).where(Alert.family_id != fam.family_id)).one()
        # Open alerts first, the oldest (the demo's, 25 minutes old) before Siti's new one.
        assert codes[:2] == [_code(db)(demo_alert.family_id), fam.code]
        shot = os.environ.get("DASHBOARD_SCREENSHOT_DIR") or str(tmp_path)
        await page.screenshot(path=os.path.join(shot, "dashboard-light.png"), full_page=True)
        # Sorting and filtering happen on the page.
        await page.select_option("#filter", "bahaya")
        alert_rows = await page.eval_on_selector_all("#families tbody tr", "rows => rows.map(r => r.dataset.code)")
        assert alert_rows == codes[:2]
        await page.select_option("#filter", "")
        await page.fill("#search", "siti")
        assert fam.code in await page.eval_on_selector_all("#families tbody tr", "rs => rs.map(r => r.dataset.code)")
        await page.fill("#search", "")
        await page.click("th[data-key=day]")
        days = await page.eval_on_selector_all("#families tbody tr td:nth-child(3)", "cs => cs.map(c => c.textContent)")
        assert days == sorted(days, key=lambda d: int(d) if d.isdigit() else 99)

        # Her family page: contact, question, alerts; "Sudah ditangani".
        await page.click(f'#families tbody tr[data-code="{fam.code}"]')
        await page.wait_for_selector("body[data-state=family]")
        text = await page.inner_text("#tab-family")
        assert "+6281234567890" in text and "ASI saya baru sedikit" in text
        assert await page.get_attribute("a[href^='https://wa.me/']", "href") == "https://wa.me/6281234567890"
        await page.screenshot(path=os.path.join(shot, "dashboard-family.png"), full_page=True)
        chat_alert = next(m for m in midwife.messages if "TANDA BAHAYA" in (m.text or ""))
        left = len(await page.query_selector_all("button.ack"))
        assert left >= 1
        # The family's own words are on the card; handling asks to confirm and takes a note.
        assert "bayi saya kejang" in text
        while left:
            await page.click("button.ack >> nth=0")
            await page.wait_for_selector(".confirm:not([hidden]) button.ack-yes")
            with db.session() as session:  # nothing is handled before she confirms
                assert session.get(Alert, alert_id).handled_at is None or left == 1
            await page.fill(".confirm:not([hidden]) textarea", "Sudah saya telepon, dirujuk ke puskesmas")
            await page.screenshot(path=os.path.join(shot, "dashboard-ack-confirm.png"), full_page=True)
            await page.click(".confirm:not([hidden]) button.ack-yes")
            await page.wait_for_function("document.body.dataset.state === 'family' && "
                                         f"document.querySelectorAll('button.ack').length < {left}")
            left = len(await page.query_selector_all("button.ack"))
        with db.session() as session:
            assert session.get(Alert, alert_id).handled_at is not None
        updated = next(m for m in midwife.messages if m.message_id == chat_alert.message_id)
        assert "Ditangani oleh Bidan Aminah" in updated.text
        # The family hears it through the alerts' own acknowledgement (bot.flows.alerts.acknowledge).
        for person in (mother, husband):
            assert any("Bidan Aminah sudah membaca laporan" in (m.text or "") for m in person.messages)

        # A reply from the page reaches both family members.
        await page.fill(".question textarea", "Normal di hari-hari pertama, Bu. Susui sesering mungkin.")
        await page.click(".question button.act")
        await page.wait_for_function("document.querySelector('.question') && "
                                     "document.querySelector('.question').innerText.includes('Susui')")
        assert "Susui sesering mungkin" in mother.last_reply.text and "Bidan Aminah" in husband.last_reply.text

        # The analysis with its chart, and an export sent into her chat.
        await page.click("#back")
        await page.click("#tabs button[data-tab=analysis]")
        await page.wait_for_selector("body[data-state=analysis]")
        assert await page.query_selector("#tab-analysis img.chart") is not None
        # The per-protocol report of /analisis as HTML tables; one protocol: no selector.
        assert "Alur peserta" in await page.inner_text("#tab-analysis")
        assert await page.query_selector("#tab-analysis table.report.flow") is not None
        assert await page.query_selector("#tab-analysis pre") is None  # no monospace text
        assert await page.query_selector("#analysis-protocol") is None
        await page.screenshot(path=os.path.join(shot, "dashboard-analysis.png"), full_page=True)
        await page.click("#tabs button[data-tab=export]")
        before = len(midwife.messages)
        await page.click("button[data-format=xlsx]")
        await page.wait_for_function(
            f"document.getElementById('export-note').textContent === {json.dumps(running.runtime.content.text('desk.export_sent'))}")
        assert len(midwife.messages) == before + 1 and midwife.last_reply.filename.endswith(".xlsx")
        # It fits a small phone screen: nothing wider than the viewport but the table's own scroller.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        assert leaked == []

        # Dark theme: Telegram's colours are used.
        dark, leaked = await open_page(browser, base, init_data(running, MIDWIFE_A), DARK)
        await dark.wait_for_selector("body[data-state=families]")
        bg = await dark.evaluate("getComputedStyle(document.body).backgroundColor")
        assert bg == "rgb(23, 33, 43)"
        await dark.screenshot(path=os.path.join(shot, "dashboard-dark.png"), full_page=True)
        assert leaked == []


async def test_the_analysis_tab_shows_the_report_of_analisis_and_a_protocol_selector(browser, settings, db, clock,
                                                                                      fake_tg, midwife, tmp_path):
    """The seed 001 demo facility with one seed 002 family: the report text exactly as /analisis words it
    (per-day pairs), a selector of the two protocols, the other protocol on choosing it, the workbook."""
    with db.session() as s:
        demo = seed_study_demo(s, clock.now(), settings=settings, midwife_telegram_id=MIDWIFE_A,
                               midwife_name="Bidan Aminah")
        add_family(s, s.get(Facility, demo.facilities[STUDY_MIDWIFE_PROTOCOL].id), now=clock.now(), age_days=6,
                   protocol_id="seed002", mother=(880_001, "Lain"))
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        content = running.runtime.content
        page, leaked = await open_page(browser, base, init_data(running, MIDWIFE_A))
        await page.wait_for_selector("body[data-state=families]")
        await page.click("#tabs button[data-tab=analysis]")
        await page.wait_for_selector("body[data-state=analysis]")
        report = await page.inner_text("#tab-analysis")
        for day in (1, 2, 3):
            assert content.text("dashboard.r_pair_day", hari=day) in report
        assert len(await page.query_selector_all("#tab-analysis table.report.levels")) == 3
        assert "uji Wilcoxon" in report
        await midwife.send("/analisis")  # the chat asks which protocol; its summary of seed 001 is the page's
        await midwife.press(next(b for b in midwife.last_reply.button_labels if b.startswith("seed001")))
        chat = [m.text for m in midwife.replies_since_last_action if m.kind == "text"]
        shown = await page.inner_text("#tab-analysis p.summary")
        assert shown.replace("\n", "") in [c.replace("\n", "") for c in chat]
        options = await page.eval_on_selector_all("#analysis-protocol option", "os => os.map(o => o.value)")
        assert options == ["seed001", "seed002"]
        assert await page.input_value("#analysis-protocol") == "seed001"
        assert content.text("study.choose_protocol") in await page.inner_text("#tab-analysis label.choice")
        shot = os.environ.get("DASHBOARD_SCREENSHOT_DIR") or str(tmp_path)
        await page.screenshot(path=os.path.join(shot, "dashboard-analysis-protocol.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # The workbook /analisis sends, into her chat.
        await page.click("#analysis-book")
        await page.wait_for_function("document.getElementById('analysis-note').textContent === "
                                     + json.dumps(content.text("desk.export_sent")))
        assert midwife.last_reply.filename == f"analisis-{demo.facilities['seed001'].code}-seed001.xlsx"

        # Choosing the other protocol shows its own report.
        await page.select_option("#analysis-protocol", "seed002")
        await page.wait_for_selector("body[data-state=analysis] #tab-analysis[data-protocol=seed002]")
        other = await page.inner_text("#tab-analysis")
        assert "Seed 002" in other and "Hari ke-1: sebelum dan sesudah pijat" not in other
        assert await page.query_selector("#tab-analysis p.too-few") is not None  # one family: too few
        assert leaked == []


async def test_a_forged_or_foreign_initdata_shows_the_error_page(browser, settings, db, clock, fake_tg, midwife):
    seed(db, clock)
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        content = running.runtime.content
        cases = {
            "forged": (init_data(running, MIDWIFE_A, token="999:OTHER"), "error-401", "dashboard.error_401"),
            "expired": (init_data(running, MIDWIFE_A, age=timedelta(hours=25)), "error-401", "dashboard.error_401"),
            "empty": ("", "error-401", "dashboard.error_401"),
            "a family member": (init_data(running, MOTHER, first_name="Siti"), "error-403", "dashboard.error_403"),
        }
        for name, (init, state, key) in cases.items():
            page, leaked = await open_page(browser, base, init)
            await page.wait_for_selector(f"body[data-state={state}]")
            assert await page.inner_text("#error-text") == content.text(key), name
            assert await page.is_hidden("#main"), name
            assert await page.query_selector_all("#families tbody tr") == [], name
            assert leaked == []


def _code(db):
    from storage.models import Family

    def code(family_id: int) -> str:
        with db.session() as session:
            return session.get(Family, family_id).code

    return code


async def test_the_dashboard_runs_under_its_content_security_policy(browser, settings, db, clock, fake_tg):
    seed(db, clock)
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        page, leaked = await open_page(browser, base, init_data(running, MIDWIFE_A), csp=True)
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        await page.reload()
        await page.wait_for_selector("body[data-state=families]")
        assert await page.eval_on_selector_all("#families tbody tr", "rows => rows.length") > 0
        await page.click("nav#tabs button[data-tab=analysis]")
        await page.wait_for_selector("#tab-analysis:not([hidden])")
        assert not refused and not leaked, (refused, leaked)


ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts", "desk")  # gitignored: look at them


async def _fits(page, name: str) -> None:
    """Nothing overflows sideways on a 360 px phone: the page is never wider than the screen."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    body = await page.evaluate("document.body.scrollWidth")
    assert max(width, body) <= PHONE["width"], f"{name}: {max(width, body)} px wide"
    await page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


async def test_the_whole_desk_on_a_small_phone(browser, settings, db, clock, fake_tg, midwife):
    """The demo's living desk (seed 001's facility) page by page, in Indonesian, on a 360x740 screen: the
    families (urgent first, checklists per occasion, what she needs to do), a family with an open alert (the
    family's words, confirm with a note), the analysis as tables and chart, the export; screenshots kept in
    tests/artifacts/desk/."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    print(f"\nscreenshots: {ARTIFACTS}")
    with db.session() as s:
        demo = seed_study_demo(s, clock.now(), settings=settings, midwife_telegram_id=MIDWIFE_A,
                               midwife_name="Bidan Aminah", living_desk=True)
        facility_id = demo.facilities[STUDY_MIDWIFE_PROTOCOL].id
        alert = s.exec(select(Alert).where(Alert.facility_id == facility_id, Alert.words.is_not(None))
                       .order_by(Alert.raised_at)).first()
        alert_family, words = alert.family_id, alert.words
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        content = running.runtime.content
        page, leaked = await open_page(browser, base, init_data(running, MIDWIFE_A))
        await page.wait_for_selector("body[data-state=families]")
        assert await page.evaluate("document.documentElement.lang") == "id"
        assert await page.inner_text("#tabs") == "\n".join(content.text(f"dashboard.tab_{t}")
                                                           for t in ("families", "analysis", "export"))
        first = await page.eval_on_selector("#families tbody tr", "r => r.innerText")
        assert content.text("desk.reason_alert_words", kata=words).strip() in first  # urgent first, her words
        marks = await page.eval_on_selector_all("#families tbody tr td:nth-child(5)", "cs => cs.map(c => c.textContent)")
        assert any(m.startswith("H1\u00a0") for m in marks)  # seed 001: per day, before and after
        await _fits(page, "1-keluarga")
        await page.select_option("#filter", "ceklis")
        await _fits(page, "2-keluarga-ceklis")
        await page.select_option("#filter", "")

        await page.click(f'#families tbody tr[data-id="{alert_family}"]')
        await page.wait_for_selector("body[data-state=family]")
        text = await page.inner_text("#tab-family")
        assert words in text and content.text("dashboard.section_occasions") in text
        await _fits(page, "3-keluarga-detail")
        await page.click("button.ack >> nth=0")
        await page.wait_for_selector(".confirm:not([hidden]) button.ack-yes")
        await page.fill(".confirm:not([hidden]) textarea", "Sudah ditelepon, dirujuk ke puskesmas")
        await _fits(page, "4-tangani-konfirmasi")
        await page.click(".confirm:not([hidden]) button.ack-cancel")  # she may still change her mind
        with db.session() as s:
            assert s.get(Alert, alert.id).handled_at is None

        await page.click("#back")
        await page.click("#tabs button[data-tab=analysis]")
        await page.wait_for_selector("body[data-state=analysis]")
        assert await page.query_selector("#tab-analysis img.chart") is not None
        await _fits(page, "5-analisis")
        await page.click("#tabs button[data-tab=export]")
        await page.wait_for_selector("button[data-format=xlsx]")
        await _fits(page, "6-unduh-data")
        assert leaked == []
