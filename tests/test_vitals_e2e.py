"""Seed 002 as designed (issue 24, item 7), from the outside: a health worker gives the massage, so the midwife
logs it with /vital and the mother's blood pressure, pulse and breathing before it; a slip is refused, a reading
outside normal gets the protocol's wait rule, a normal one logs the massage as hers. `analyze --protocol seed002
--json` then reports who massaged against the plan, the vitals, and the substituted instrument."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import cli
from content import get_content
from storage.models import Facility, Family, MassageSession, MassageVitals, Staff
from tests.test_study_design_e2e import register_through

WIB = ZoneInfo("Asia/Jakarta")


async def test_midwife_logs_vitals_then_the_massage_and_the_report_names_the_performer(
        bot, db, clock, fake_tg, monkeypatch, capsys, tmp_path):
    fake_tg.clock = clock
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["midwife", "invite", "--facility", "Puskesmas Mandiangin", "--protocol", "seed002"]) == 0
    link = re.search(r"start=(bid_\w+)", capsys.readouterr().out).group(1)
    midwife = fake_tg.user(user_id=5700, first_name="Rina")
    await midwife.send(f"/start {link}")
    with db.session() as s:
        facility = s.exec(select(Facility)).one()
        code, registration = facility.code, facility.registration_code
    mother = fake_tg.user(user_id=5701, first_name="Ani")
    await register_through(mother, registration, "Ani", research=True)
    await mother.press("Lewati semua")
    with db.session() as s:
        fam = s.exec(select(Family)).one()
        fid, family_code, birth = fam.id, fam.code, fam.birth_date
        staff_user = s.exec(select(Staff)).one().user_id
    clock.set(datetime.combine(birth + timedelta(days=1), time(8, 0), tzinfo=WIB))

    await mother.send(f"/vital {family_code} 120/80 88 20")  # not a health worker
    assert "Pertanyaan" not in mother.last_reply.text
    await midwife.send("/vital")
    assert "/vital KODE TD NADI NAPAS" in midwife.last_reply.text
    await midwife.send(f"/vital {family_code} seratus dua puluh")
    assert "belum bisa saya baca" in midwife.last_reply.text
    await midwife.send(f"/vital {family_code} 300/80 88 20")  # a slip: refused, nothing stored
    assert "salah ketik" in midwife.last_reply.text and "tekanan sistolik" in midwife.last_reply.text
    await midwife.send("/vital ZZZZ9999 120/80 88 20")
    assert "tidak ada di fasilitas" in midwife.last_reply.text
    await midwife.send(f"/vital {family_code} 150/95 88 20")  # outside normal: rest, measure again
    wait = get_content().protocols["seed002"].vitals.wait_minutes
    assert "Di luar normal" in midwife.last_reply.text and f"{wait} menit" in midwife.last_reply.text
    with db.session() as s:
        assert s.exec(select(MassageSession)).all() == []  # no massage yet
    clock.advance(timedelta(minutes=wait))
    await midwife.send(f"/vital {family_code} 118/76 84 18")
    assert "normal" in midwife.last_reply.text and "dicatat" in midwife.last_reply.text
    with db.session() as s:
        [massage] = s.exec(select(MassageSession)).all()
        assert (massage.family_id, massage.user_id, massage.status, massage.postpartum_day) == (
            fid, staff_user, "logged", 1)
        readings = s.exec(select(MassageVitals).order_by(MassageVitals.id)).all()
        assert [(r.normal, r.outside, r.session_id) for r in readings] == [
            (False, "systolic,diastolic", None), (True, None, massage.id)]

    capsys.readouterr()
    assert cli.main(["analyze", "--protocol", "seed002", "--facility", code, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["performers"] == {"planned": "petugas", "sessions": 1, "by_planned": 1,
                                 "by": {"petugas": {"sessions": 1, "families": 1}}}
    assert out["vitals"]["readings"] == 2 and out["vitals"]["normal"] == 1
    assert out["vitals"]["outside"] == {"systolic": 1, "diastolic": 1}
    codes = [w["code"] for w in out["protocol_warnings"]]
    assert {"self_report", "blinded", "instrument_substituted"} <= set(codes)
    substituted = next(w["text"] for w in out["protocol_warnings"] if w["code"] == "instrument_substituted")
    assert "seed002" in substituted and "diganti" in substituted
    capsys.readouterr()
    assert cli.main(["analyze", "--protocol", "seed002", "--facility", code]) == 0
    text = capsys.readouterr().out
    assert "Siapa yang memijat (rencana protokol: petugas kesehatan): 1 dari 1 pijat" in text
    assert "Tanda vital sebelum pijat" in text and "Kuesioner asli seed002" in text
    # The export names her as the one who massaged.
    out_zip = tmp_path / "export.zip"
    assert cli.main(["export", "--format", "csv", "--codes", "--out", str(out_zip), "--csv-dialect", "plain"]) == 0
    with zipfile.ZipFile(out_zip) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("sessions.csv").decode("utf-8-sig"))))
    assert [(r["family"], r["performer_role"]) for r in rows] == [(family_code, "health_worker")]
    # ... and holds her readings, the one that made the massage wait and the one before it (local time, WIB)
    with zipfile.ZipFile(out_zip) as z:
        vitals = list(csv.DictReader(io.StringIO(z.read("vitals.csv").decode("utf-8-sig"))))
        codebook = z.read("dictionary.csv").decode("utf-8-sig")
    assert [(r["family"], r["systolic"], r["diastolic"], r["pulse"], r["breathing"], r["vitals_normal"],
             r["outside_normal"], r["massage_logged"]) for r in vitals] == [
        (family_code, "150", "95", "88", "20", "0", "systolic,diastolic", "0"),
        (family_code, "118", "76", "84", "18", "1", "", "1")]
    assert vitals[0]["measured_at"].startswith(f"{birth + timedelta(days=1):%Y-%m-%d} 08:00")
    assert "mmHg" in codebook and "massage_logged" in codebook


def test_readings_are_read_and_judged_by_the_protocol_s_ranges():
    from bot.flows.vitals import Reading, parse

    assert parse("120/80 88 20") == Reading(120, 80, 88, 20) == parse(" 120 80 88 20 ")
    assert parse("TD 120/80, nadi 88 x/menit, napas 20") == Reading(120, 80, 88, 20)
    for slip in ("120/80 88", "120/80 88 20 5", "120/80 88 20 demam", "", "1200/80 88 20", "120/80 88 2o"):
        assert parse(slip) is None, slip
    rule = get_content().protocols["seed002"].vitals
    assert rule.outside(Reading(118, 76, 84, 18).as_dict()) == ()
    assert rule.outside(Reading(150, 95, 110, 30).as_dict()) == ("systolic", "diastolic", "pulse", "breathing")
    assert rule.implausible(Reading(300, 80, 88, 20).as_dict()) == ("systolic",)
    # Every seed protocol whose performer is a health worker has the check; the others do not need it.
    for p in get_content().protocols.values():
        assert (p.vitals is not None) == (p.performer == "petugas"), p.id
