"""The dashboard's JSON API over real HTTP, served by the running bot: Telegram's initData checked on every
call (401 forged or expired, 403 not a midwife, 403 every id of another facility), her families only,
acknowledging an alert through the same path as the chat button, replying to a question, exports into her chat."""

from __future__ import annotations

import aiohttp
from sqlmodel import select

from storage.models import Alert, AuditLog
from tests.dashboard_support import dashboard_bot, forged, init_data
from tests.test_midwife_desk import add_alert, consent
from tests.test_midwife_support import HUSBAND, MIDWIFE_A, MIDWIFE_B, MOTHER, two_facilities


async def call(base: str, method: str, path: str, auth: str | None, body=None) -> tuple[int, object]:
    headers = {"Authorization": auth} if auth else {}
    async with aiohttp.ClientSession() as http, http.request(method, base + path, headers=headers,
                                                             json=body) as r:
        data = await r.json() if r.content_type == "application/json" else await r.read()
        return r.status, data


async def test_forged_initdata_401_non_midwife_403_other_facility_403(settings, db, clock, fake_tg, mother, midwife):
    world = two_facilities(db, clock.now(), a_extra=2, b_count=2)
    theirs = world.b_families[0]
    their_alert = add_alert(db, theirs.family_id, world.b.id, clock.now())
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        statuses: dict[str, int] = {}
        for name, header in forged(running, MIDWIFE_A).items():
            for method, path in (("GET", "/app/api/families"), ("POST", f"/app/api/alerts/{their_alert}/ack")):
                status, _ = await call(base, method, path, header or None, {} if method == "POST" else None)
                assert status == 401, (name, path, status)
            statuses[name] = 401
        # A real Telegram user, correctly signed, who is not a midwife: 403 everywhere.
        family_member = "tma " + init_data(running, MOTHER, first_name="Siti")
        for method, path in (("GET", "/app/api/me"), ("GET", "/app/api/families"),
                             ("GET", f"/app/api/families/{world.mothers_family.family_id}"),
                             ("POST", f"/app/api/alerts/{their_alert}/ack"), ("POST", "/app/api/export")):
            status, _ = await call(base, method, path, family_member, {"format": "xlsx"} if method == "POST" else None)
            assert status == 403, path
        # Her own, correctly signed: her families only.
        mine = "tma " + init_data(running, MIDWIFE_A)
        status, data = await call(base, "GET", "/app/api/families", mine)
        assert status == 200
        codes = {f["code"] for f in data["families"]}
        assert codes == {f.code for f in world.a_families}
        # Every id of the other facility (and ids that do not exist): 403, nothing changes.
        other_q = await _question_of(db, clock, theirs.family_id, world.b.id)
        for method, path, body in (
            ("GET", f"/app/api/families/{theirs.family_id}", None),
            ("POST", f"/app/api/families/{theirs.family_id}/message", {"text": "halo"}),
            ("POST", f"/app/api/alerts/{their_alert}/ack", {}),
            ("POST", f"/app/api/questions/{other_q}/reply", {"text": "halo"}),
            ("GET", "/app/api/families/999999", None),
            ("POST", "/app/api/alerts/999999/ack", {}),
            ("POST", "/app/api/questions/999999/reply", {"text": "halo"}),
            # a malformed id ("abc", a huge one) is 404 before any lookup: tests/test_web_guard.py
        ):
            status, data = await call(base, method, path, mine, body)
            assert status == 403, (path, status, data)
        with db.session() as session:
            assert session.get(Alert, their_alert).handled_at is None
        # The other facility's midwife sees her own family (the ids are real) and not A's.
        status, data = await call(base, "GET", "/app/api/families", "tma " + init_data(running, MIDWIFE_B))
        assert {f["code"] for f in data["families"]} == {f.code for f in world.b_families}
        print("FIGURES forged-initData statuses:", statuses)


async def _question_of(db, clock, family_id: int, facility_id: int) -> int:
    from storage import questions as question_store

    with db.session() as session:
        return question_store.ask(session, family_id=family_id, facility_id=facility_id, asked_by=None,
                                  text="pertanyaan keluarga lain", now=clock.now()).id


async def test_ack_reply_and_export_from_the_dashboard(settings, db, clock, fake_tg, mother, husband, midwife):
    world = two_facilities(db, clock.now(), a_extra=2, b_count=0)
    consent(db, clock, MOTHER, HUSBAND)
    fam = world.mothers_family
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        mine = "tma " + init_data(running, MIDWIFE_A)
        # A danger sign through the chat: the alert message in her chat, with buttons.
        await mother.send("bayi saya kejang")
        status, data = await call(base, "GET", "/app/api/families", mine)
        assert data["families"][0]["code"] == fam.code and data["families"][0]["open_alerts"] >= 1
        with db.session() as session:
            alert = session.exec(select(Alert).order_by(Alert.id)).first()
            alert_id = alert.id
        sign = running.runtime.content.danger_sign(alert.sign_id).text
        alert_msg = next(m for m in midwife.messages if "TANDA BAHAYA" in (m.text or "") and sign in m.text)
        status, data = await call(base, "POST", f"/app/api/alerts/{alert_id}/ack", mine, {})
        assert status == 200 and data["first"] is True
        # The chat message is updated and the family told; the audit says where it came from.
        updated = next(m for m in midwife.messages if m.message_id == alert_msg.message_id)
        assert "Ditangani oleh Bidan Aminah" in updated.text and "Sudah ditangani" not in updated.button_labels
        # The family hears it through the alerts' own acknowledgement (bot.flows.alerts.acknowledge).
        for person in (mother, husband):
            assert "Bidan Aminah sudah membaca laporan" in person.last_reply.text
        with db.session() as session:
            assert [a.actor for a in session.exec(select(AuditLog).where(AuditLog.action == "alert_handled"))] == [
                "dashboard"]
        status, data = await call(base, "POST", f"/app/api/alerts/{alert_id}/ack", mine, {})
        assert status == 200 and data["first"] is False

        # A question answered from the dashboard reaches both members with her name.
        await mother.send("/tanya boleh makan pedas?")
        with db.session() as session:
            from storage.models import Question

            qid = session.exec(select(Question)).one().id
        status, data = await call(base, "GET", f"/app/api/families/{fam.family_id}", mine)
        assert data["questions"][0]["text"] == "boleh makan pedas?" and not data["questions"][0]["answered"]
        assert {m["role"] for m in data["members"]} == {"ibu", "suami"}
        status, data = await call(base, "POST", f"/app/api/questions/{qid}/reply", mine, {"text": "Boleh, sedikit."})
        assert status == 200 and data["delivered"] == 2
        assert "Bidan Aminah" in mother.last_reply.text and "Boleh, sedikit." in husband.last_reply.text
        status, data = await call(base, "POST", f"/app/api/questions/{qid}/reply", mine, {"text": ""})
        assert status == 400

        # Export buttons: the file arrives in her chat.
        before = len(midwife.messages)
        status, data = await call(base, "POST", "/app/api/export", mine, {"format": "xlsx"})
        assert status == 200 and data["ok"] and data["filename"].endswith(".xlsx")
        assert len(midwife.messages) == before + 1 and midwife.last_reply.document[:2] == b"PK"
        status, data = await call(base, "POST", "/app/api/export", mine, {"format": "csv", "names": True})
        assert data["filename"].endswith("-nama.zip")
        status, data = await call(base, "POST", "/app/api/export", mine, {"format": "pdf"})
        assert status == 400
        # The analysis with its chart.
        status, data = await call(base, "GET", "/app/api/analysis", mine)
        assert status == 200 and (not data["ready"] or data["chart"].startswith("data:image/png;base64,"))
        # The page and its words are served too; /bidan offers the web_app button.
        status, page = await call(base, "GET", "/app/", None)
        assert status == 200 and b"telegram-web-app.js" in page
        status, words = await call(base, "GET", "/app/api/texts", None)
        assert words["title"] == running.runtime.content.text("dashboard.title")
        await midwife.send("/bidan")
        button = midwife.last_reply.button(running.runtime.content.text("desk.button_dashboard"))
        assert button["web_app"]["url"] == "https://bidan.example.org/app/"


def test_initdata_validation_follows_telegrams_spec():
    """The example shape of Telegram's docs: HMAC-SHA256 over the sorted fields with the WebAppData key."""
    import hashlib
    import hmac
    from datetime import UTC, datetime, timedelta
    from urllib.parse import parse_qsl

    import pytest

    from bot.web.auth import InitDataError, sign, validate

    now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    data = sign("123:ABC", user={"id": 42, "first_name": "Ani"}, auth_date=now, query_id="Q")
    fields = dict(parse_qsl(data))
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    key = hmac.new(b"WebAppData", b"123:ABC", hashlib.sha256).digest()
    assert fields["hash"] == hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    assert validate(data, "123:ABC", now=now + timedelta(hours=23)).telegram_id == 42
    with pytest.raises(InitDataError):
        validate(data, "123:ABC", now=now + timedelta(hours=24, seconds=1))
    with pytest.raises(InitDataError):
        validate(data, "123:ABD", now=now)
    with pytest.raises(InitDataError):
        validate(data + "&hash=00", "123:ABC", now=now)


async def test_python_m_bot_run_serves_the_dashboard_on_web_port(fake_tg, tmp_path):
    """The real process: WEB_PORT is where the page and its API answer; a taken port does not stop the bot."""
    import socket

    from tests.test_reliability_support import bot_process

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"sqlite:///{tmp_path / 'run.db'}"
    proc = await bot_process(fake_tg, url, tmp_path, WEB_PORT=str(port), WEB_LISTEN="127.0.0.1")
    try:
        base = f"http://127.0.0.1:{port}"
        status, page = await call(base, "GET", "/app/", None)
        assert status == 200 and b"telegram-web-app.js" in page
        status, script = await call(base, "GET", "/app/static/app.js", None)
        assert status == 200 and b"Authorization" in script
        status, _ = await call(base, "GET", "/app/api/families", None)
        assert status == 401
        # A second bot on the same port still polls and answers families (the dashboard only is missing).
        second = await bot_process(fake_tg, f"sqlite:///{tmp_path / 'run2.db'}", tmp_path, WEB_PORT=str(port),
                                   WEB_LISTEN="127.0.0.1")
        second.terminate()
        _, err = await second.communicate()
        assert b"dashboard could not listen" in err
    finally:
        proc.terminate()
        await proc.communicate()


def test_web_settings():
    import pytest

    from bot.core.config import ConfigError, settings_from_env

    assert settings_from_env({}).web_port == 8080 and settings_from_env({}).web_app_url is None
    assert settings_from_env({"WEB_PORT": "off"}).web_port is None
    assert settings_from_env({"WEB_PORT": "9090"}).web_port == 9090
    assert settings_from_env({"WEB_APP_URL": "https://x.org/app"}).web_app_url == "https://x.org/app/"
    assert settings_from_env({"QUESTION_REPEAT_MINUTES": "60"}).question_repeat.total_seconds() == 3600
    for bad in ({"WEB_APP_URL": "http://x.org/app/"}, {"WEB_PORT": "70000"}, {"WEB_PORT": "abc"}):
        with pytest.raises(ConfigError):
            settings_from_env(bad)


def _chat_report(midwife) -> tuple[list[str], object]:
    """The /analisis messages in monospace (the report) and the workbook, as the chat got them."""
    replies = midwife.replies_since_last_action
    return [m.text for m in replies if m.text], next(m for m in replies if m.kind == "document")


def _study_sheets(document: bytes) -> tuple[list[str], list]:
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(document), read_only=True)
    first = [r[0] for r in wb[wb.sheetnames[0]].iter_rows(values_only=True) if r and r[0]]
    return wb.sheetnames, first


async def test_the_analysis_tab_is_the_per_protocol_report_of_analisis(settings, db, clock, fake_tg, midwife):
    """The seed 001 demo facility: the same report as /analisis (per-day pairs, flow, frequencies, Table 1),
    the same workbook into her chat, audited from the dashboard; a family member is refused."""
    from bot.devtools.demo import STUDY_MIDWIFE_PROTOCOL, add_midwife, seed_study_demo

    with db.session() as s:
        demo = seed_study_demo(s, clock.now(), settings=settings, midwife_telegram_id=MIDWIFE_A,
                               midwife_name="Bidan Aminah")
        add_midwife(s, demo.facilities["seed002"], telegram_id=MIDWIFE_B, name="Bidan Rina", now=clock.now())
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        mine = "tma " + init_data(running, MIDWIFE_A)
        status, data = await call(base, "GET", "/app/api/analysis", mine)
        assert status == 200, data
        assert data["protocol"]["id"] == STUDY_MIDWIFE_PROTOCOL and data["protocol"]["version"] == 1
        assert data["protocols"] == [] and data["versions"] == []  # one protocol, one version: no selector
        joined = "\n".join(data["messages"])
        for day in (1, 2, 3):
            assert f"Hari ke-{day}: sebelum dan sesudah pijat" in joined
        assert "Alur peserta" in joined and "Karakteristik responden" in joined
        assert joined.count("Sig. eksak p") == 3 and joined.count("asimtotik p") == 3
        assert joined.count("Kesimpulan (uji Wilcoxon, Sig. eksak)") == 3
        report = data["report"]
        assert report["protocol"] == {"id": "seed001", "version": 1, "instrument": report["protocol"]["instrument"]}
        assert [p["day"] for p in report["pairs"]] == [1, 2, 3]
        assert report["flow"]["registered"] == len(demo.families["seed001"])
        for pair in report["pairs"]:
            assert len(pair["levels"]) == 2 and pair["n"] >= 1
            assert pair["wilcoxon"]["p_exact"] is not None and pair["wilcoxon"]["p"] is not None
            assert pair["conclusion"]["direction"] and isinstance(pair["warnings"], list)
        assert data["ready"] and data["chart"].startswith("data:image/png;base64,") and data["n"] >= 1
        # The chat's one message is the page's summary, word for word (both from the report's JSON).
        await midwife.send("/analisis")
        chat_texts, chat_book = _chat_report(midwife)
        assert data["summary"] in chat_texts and len(data["summary"]) <= 700
        # Table 1 and the test in words beside their codes.
        assert all(c["label"] and all(r["label"] for r in c["rows"]) for c in report["characteristics"])
        assert {p["conclusion"]["test_label"] for p in report["pairs"]} == {"uji Wilcoxon"}

        # The workbook: the one /analisis sends (the study sheets first), into her chat.
        status, sent = await call(base, "POST", "/app/api/analysis/book", mine, {"protocol": "seed001"})
        assert status == 200 and sent["ok"], sent
        book = midwife.last_reply
        assert book.filename == chat_book.filename == sent["filename"]
        assert _study_sheets(book.document) == _study_sheets(chat_book.document)
        assert _study_sheets(book.document)[0][:3] == ["Ringkasan", "Alur dan tabel studi", "Kepatuhan pijat"]
        with db.session() as session:
            audited = session.exec(select(AuditLog).where(AuditLog.action == "analysis")
                                   .order_by(AuditLog.id)).all()
            assert [a.actor for a in audited] == ["dashboard", "telegram", "dashboard"]
            assert all(a.detail["protocol"] == "seed001" and a.detail["version"] == 1 for a in audited)

        # Facility-scoped: the seed 002 facility's midwife gets her own protocol's report.
        status, theirs = await call(base, "GET", "/app/api/analysis", "tma " + init_data(running, MIDWIFE_B))
        assert status == 200 and theirs["protocol"]["id"] == "seed002"
        assert theirs["report"]["flow"]["registered"] == len(demo.families["seed002"])
        # A family member, correctly signed, is no midwife: refused, nothing sent, nothing audited.
        stranger = "tma " + init_data(running, MOTHER, first_name="Siti")
        before = len(midwife.messages)
        for method, path in (("GET", "/app/api/analysis"), ("GET", "/app/api/analysis?protocol=seed001"),
                             ("POST", "/app/api/analysis/book")):
            status, _ = await call(base, method, path, stranger, {"protocol": "seed001"} if method == "POST" else None)
            assert status == 403, path
        for method, path in (("GET", "/app/api/analysis"), ("POST", "/app/api/analysis/book")):
            status, _ = await call(base, method, path, forged(running, MIDWIFE_A)["signed with another token"],
                                   {} if method == "POST" else None)
            assert status == 401, path
        assert len(midwife.messages) == before
        with db.session() as session:
            assert len(session.exec(select(AuditLog).where(AuditLog.action == "analysis")).all()) == 4


async def test_the_analysis_tab_offers_the_protocols_and_versions_of_her_families(settings, db, clock, fake_tg):
    """Two protocols in her facility: the one with the most families is shown, with the choice; the other on
    asking. Two versions of one protocol: the newest is shown, with the choice (never pooled)."""
    from bot.devtools.demo import STUDY_MIDWIFE_PROTOCOL, add_family, seed_study_demo
    from storage.models import Facility, Family

    with db.session() as s:
        demo = seed_study_demo(s, clock.now(), settings=settings, midwife_telegram_id=MIDWIFE_A)
        facility = s.get(Facility, demo.facilities[STUDY_MIDWIFE_PROTOCOL].id)
        add_family(s, facility, now=clock.now(), age_days=6, protocol_id="seed002", mother=(880_001, "Lain"))
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        mine = "tma " + init_data(running, MIDWIFE_A)
        status, data = await call(base, "GET", "/app/api/analysis", mine)
        assert status == 200 and data["protocol"]["id"] == "seed001"
        assert "lebih dari satu protokol" in data["choose_protocol"]
        assert [(p["id"], p["n"], p["selected"]) for p in data["protocols"]] == [
            ("seed001", len(demo.families["seed001"]), True), ("seed002", 1, False)]
        assert data["protocols"][1]["label"].startswith("seed002 (versi 1)")
        status, other = await call(base, "GET", "/app/api/analysis?protocol=seed002", mine)
        assert status == 200 and other["report"]["protocol"]["id"] == "seed002"
        assert other["report"]["flow"]["registered"] == 1 and "Seed 002" in other["messages"][0]
        assert [p["selected"] for p in other["protocols"]] == [False, True]
        assert not other["ready"] and other["message"]  # one family: too few for the statistics
        status, sent = await call(base, "POST", "/app/api/analysis/book", mine, {"protocol": "seed002"})
        assert status == 200 and not sent["ok"] and sent["message"] == other["message"]
        for bad in ("?protocol=nope", "?protocol=seed001&version=7", "?protocol=seed001&version=x"):
            status, _ = await call(base, "GET", "/app/api/analysis" + bad, mine)
            assert status == 400, bad

        with db.session() as s:
            newer = add_family(s, s.get(Facility, facility.id), now=clock.now(), age_days=6,
                               protocol_id=STUDY_MIDWIFE_PROTOCOL, mother=(880_101, "Baru"))
            s.get(Family, newer.family_id).protocol_version = 2
        status, data = await call(base, "GET", "/app/api/analysis", mine)
        assert data["protocol"] == {"id": "seed001", "version": 2, "label": data["protocol"]["label"]}
        assert "lebih dari satu versi" in data["choose_version"]
        assert [(v["version"], v["n"], v["selected"]) for v in data["versions"]] == [
            (2, 1, True), (1, len(demo.families["seed001"]), False)]
        assert data["versions"][0]["label"] == "Versi 2: 1 keluarga"
        status, first = await call(base, "GET", "/app/api/analysis?protocol=seed001&version=1", mine)
        assert first["report"]["protocol"]["version"] == 1 and "(versi 1)" in first["messages"][0]
        assert [p["day"] for p in first["report"]["pairs"]] == [1, 2, 3] and first["ready"]


async def test_a_family_s_page_shows_the_health_worker_s_readings(settings, db, clock, fake_tg):
    """seed 002: the readings /vital stored are on the family's page, in /vital's words, the outside ones named."""
    from storage import vitals

    world = two_facilities(db, clock.now(), a_extra=0, b_count=0)
    fid = world.mothers_family.family_id
    with db.session() as session:
        vitals.add(session, family_id=fid, recorded_by=None, measured_at=clock.now(), systolic=150, diastolic=95,
                   pulse=88, breathing=20, outside=["systolic", "diastolic"], session_id=None)
        vitals.add(session, family_id=fid, recorded_by=None, measured_at=clock.now(), systolic=118, diastolic=76,
                   pulse=84, breathing=18, outside=[], session_id=None)
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        status, data = await call(base, "GET", f"/app/api/families/{fid}", "tma " + init_data(running, MIDWIFE_A))
    assert status == 200
    assert [(v["bp"], v["pulse"], v["breathing"], v["normal"], v["outside"]) for v in data["vitals"]] == [
        ("150/95", 88, 20, False, "tekanan sistolik, tekanan diastolik"), ("118/76", 84, 18, True, "")]
