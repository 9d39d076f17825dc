"""The midwife's desk at first sight (issue 25): a new facility and one family at each stage never crash a
command, a chat command or a dashboard page; her lists read the protocol's occasions (seed 001's six); the demo
prints an invitation per facility and holds a living desk; ``midwife invite --facility CODE`` uses that facility.

Everything runs through the real Application and its web server against the fake Bot API, on a real database.
"""

from __future__ import annotations

import json

import aiohttp
import pytest
from sqlmodel import func, select

from bot import cli
from bot.devtools.demo import STUDY_MIDWIFE_PROTOCOL, add_family, add_midwife, seed_study_demo
from bot.flows import desk, occasion_status, privacy
from storage import facilities, users
from storage.models import Alert, Facility, Measurement, Question
from tests.dashboard_support import dashboard_bot, init_data
from tests.test_midwife_support import MIDWIFE_A

STAGES = ("none", "registered", "mid_study", "finished", "withdrawn")
CHAT_COMMANDS = ("/pasien", "/analisis", "/export", "/export csv", "/export spss", "/export csv kode", "/protokol",
                 "/qr", "/bidan")


def t(running, key: str, **params) -> str:
    return running.runtime.content.text(key, **params)


def seed_stage(db, clock, settings, stage: str) -> int | None:
    """A new facility with its midwife, and one family at ``stage`` (None: no family)."""
    now = clock.now()
    with db.session() as session:
        facility = facilities.create(session, name="Puskesmas Baru", now=now)
        add_midwife(session, facility, telegram_id=MIDWIFE_A, name="Bidan Aminah", now=now, coordinator=True)
        if stage == "none":
            return None
        age = {"registered": 0, "mid_study": 2, "finished": 9, "withdrawn": 3}[stage]
        fam = add_family(session, facility, now=now, age_days=age, mother=(880_001, "Rina"),
                         husband=(880_002, "Andi"), checklists=stage != "registered",
                         sessions_done=0 if stage == "registered" else None)
        if stage == "withdrawn":
            privacy.delete_personal_data(session, user=users.get_by_telegram_id(session, 880_001), now=now,
                                         settings=settings)
        return fam.family_id


async def _call(base: str, method: str, path: str, init: str, body: dict | None = None) -> tuple[int, object]:
    async with aiohttp.ClientSession() as http, http.request(
            method, base + path, json=body, headers={"Authorization": "tma " + init}) as r:
        return r.status, json.loads(await r.text())


@pytest.mark.parametrize("stage", STAGES)
async def test_a_new_facility_at_every_stage_answers_every_command(stage, settings, db, clock, fake_tg, midwife,
                                                                   tmp_path, monkeypatch, capsys):
    family_id = seed_stage(db, clock, settings, stage)
    async with dashboard_bot(settings, db, clock, fake_tg) as (running, base):
        sorry = t(running, "common.error_try_again")
        for command in CHAT_COMMANDS:
            await midwife.send(command)
            replies = midwife.replies_since_last_action
            assert replies, f"{command}: no answer at stage {stage}"
            assert all(sorry not in (m.text or m.caption or "") for m in replies), (command, stage)
        init = init_data(running, MIDWIFE_A)
        pages = [("GET", "/app/api/me", None), ("GET", "/app/api/families", None),
                 ("GET", "/app/api/analysis", None), ("POST", "/app/api/analysis/book", {})]
        pages += [("POST", "/app/api/export", {"format": f}) for f in ("xlsx", "csv", "sav")]
        if family_id is not None and stage != "withdrawn":
            pages.append(("GET", f"/app/api/families/{family_id}", None))
        for method, path, body in pages:
            status, data = await _call(base, method, path, init, body)
            assert status == 200, (stage, path, status, data)
        status, rows = await _call(base, "GET", "/app/api/families", init)
        assert len(rows["families"]) == (0 if stage in ("none", "withdrawn") else 1)  # /hapus: gone from her list
        if stage == "withdrawn":  # its page: the same refusal as for a family that never was
            assert (await _call(base, "GET", f"/app/api/families/{family_id}", init))[0] == 403

    # The command line on the same database: every export format and the analysis.
    monkeypatch.setenv("DATABASE_URL", db.url)
    for fmt, out in (("xlsx", "a.xlsx"), ("csv", "b.zip"), ("csv", "c"), ("sav", "d.zip")):
        assert cli.main(["export", "--format", fmt, "--out", str(tmp_path / out)]) == 0, (stage, fmt)
    assert cli.main(["analyze", "--protocol", "default"]) == 0
    assert cli.main(["analyze", "--protocol", "default", "--json"]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_every_command_on_an_empty_database(tmp_path, monkeypatch, capsys):
    """No facility at all: the files and the analysis, no traceback; --database-url on every command."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for fmt, out in (("xlsx", "a.xlsx"), ("csv", "b.zip"), ("sav", "c.zip")):
        assert cli.main(["export", "--database-url", url, "--format", fmt, "--out", str(tmp_path / out)]) == 0
    assert cli.main(["analyze", "--database-url", url, "--protocol", "seed001"]) == 0
    assert cli.main(["midwife", "list", "--database-url", url]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Kamus data" in captured.out
    assert (tmp_path / "empty.db").exists()


# -- her lists read the protocol's occasions ------------------------------------------------------------

async def test_pasien_on_the_demo_shows_the_checklists_seed001_families_answered(bot, db, clock, midwife):
    with db.session() as session:
        demo = seed_study_demo(session, clock.now(), settings=bot.settings, midwife_telegram_id=MIDWIFE_A)
        facility_id = demo.facilities[STUDY_MIDWIFE_PROTOCOL].id
    content = bot.runtime.content
    with db.session() as session:
        rows = desk.triage(session, content, facility_id, now=clock.now())
        answered = {}
        for fid, occasion, window in session.exec(select(Measurement.family_id, Measurement.occasion,
                                                         Measurement.window)
                                                  .where(Measurement.completed_at.is_not(None))):
            if window != "skipped":
                answered.setdefault(fid, set()).add(occasion)
    assert len(rows[0].summary.occasions) == 6  # seed 001: before and after, days 1-3
    checked = 0
    for row in rows:
        done = {s.label for s in row.summary.occasions if s.state == occasion_status.DONE}
        assert done == answered.get(row.family.id, set()), row.family.code
        assert not set(row.due) & done  # she is never sent after a checklist the family answered
        checked += bool(done)
    assert checked >= 8
    await midwife.send("/pasien")
    text = midwife.last_reply.text
    done_mark = content.text("desk.mark_done")
    assert f"H1\u00a0{done_mark}{done_mark}" in text  # a family that answered day 1 before and after
    assert content.text("desk.reason_due", waktu="sebelum pijat").strip() not in text  # no bare pre/post


# -- the demo and the invitation -------------------------------------------------------------------------

def test_demo_prints_an_invitation_per_facility_and_holds_a_living_desk(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("BOT_USERNAME", "PijatDemoBot")
    assert cli.main(["demo", "--database-url", url]) == 0
    out = capsys.readouterr().out
    links = [line for line in out.splitlines() if "https://t.me/PijatDemoBot?start=bid_" in line]
    assert len(links) == 4  # one per demo facility
    from storage.db import Database

    db = Database(url)
    with db.session() as session:
        for facility in session.exec(select(Facility)):
            alerts = session.exec(select(func.count()).select_from(Alert).where(
                Alert.facility_id == facility.id, Alert.handled_at.is_(None), Alert.words.is_not(None))).one()
            questions = session.exec(select(func.count()).select_from(Question).where(
                Question.facility_id == facility.id, Question.answered_at.is_(None))).one()
            assert alerts >= 1 and questions >= 1, facility.name
    db.dispose()


def test_invite_with_an_existing_code_uses_that_facility(db, clock, monkeypatch, capsys):
    with db.session() as session:
        facility = facilities.create(session, name="Puskesmas Tanjung", now=clock.now())
        code = facility.code
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["midwife", "invite", "--facility", code.lower()]) == 0
    out = capsys.readouterr().out
    assert f"facility: Puskesmas Tanjung (code {code})" in out and "created" not in out
    with db.session() as session:
        assert session.exec(select(func.count()).select_from(Facility)).one() == 1
