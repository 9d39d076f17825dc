"""Each seed protocol run as designed, through the real Application and the fake Bot API, on SQLite and
PostgreSQL (issue 14).

A facility is put on the protocol from the command line (``midwife invite --protocol``); five mothers register
through its link; the protocol's checklists are answered through the chat at their times (the clock is
injected); one mother refused research use, one filled in her first "before" checklist late (or, in seed 001,
had a massage logged first so it was no longer offered), one used /hapus after consenting. Then
``analyze --protocol --json`` gives the protocol's own pairs with only the consenting families, the late one
excluded and counted, the deleted one still in (its rows checked: no personal field left).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import cli
from bot.flows.checklist import slots
from content import get_content
from storage.models import Answer, Facility, Family, Measurement, Membership, Outbox, User

NAV = ("◀ Kembali", "Nanti saja")
WIB = ZoneInfo("Asia/Jakarta")


def _question(user):
    for m in reversed(user.chat.bot_messages()):
        if m.text and re.search(r"Pertanyaan \d+ dari \d+", m.text):
            return m
    return None


async def answer_all(user, instrument, pick: int) -> str:
    """Answer every question of the open checklist (the ``pick``-th button, or a number); the summary's text."""
    for _ in range(60):
        replies = "\n".join(x.text or "" for x in user.replies_since_last_action)
        if "sudah selesai" in replies:
            return replies
        m = _question(user)
        assert m is not None, user.text_log()
        number = int(re.search(r"Pertanyaan (\d+) dari", m.text).group(1))
        item = instrument.items[number - 1]
        labels = [b for b in m.button_labels if b not in NAV]
        if item.answer_type == "number" or not labels:
            await user.send(str(item.min if pick == 0 else (item.example or item.max)))
        else:
            await user.press_data(m.button(labels[pick % len(labels)])["callback_data"], m.message_id)
    raise AssertionError(user.text_log())


async def register_through(user, registration_code: str, name: str, *, research: bool) -> None:
    await user.send(f"/start fas_{registration_code}")
    await user.press("Setuju")
    await user.press("Boleh" if research else "Tidak boleh")
    await user.press("Ibu")
    await user.send(name)
    await user.press("Kemarin")
    await user.press(user.last_reply.button_labels[0])  # the facility's zone comes first
    await user.press("Benar, simpan")
    assert "Pendaftaran selesai" in "\n".join(m.text or "" for m in user.replies_since_last_action)


async def log_day_massages(db, clock, mothers, users, fams, day: int) -> None:
    """Each mother presses "Sudah dilakukan" on each of the day's massage reminders, at its time (an "after"
    checklist opens only once the day's massage is done)."""
    with db.session() as s:
        rows = s.exec(select(Outbox).where(Outbox.kind == "massage").order_by(Outbox.due_at)).all()
        rows = [(r.id, r.due_at, r.user_id) for r in rows if (r.payload or {}).get("day") == day]
    by_user = {users[u.id].id: u for u in mothers.values()}
    for row_id, due_at, user_id in rows:
        if due_at.replace(tzinfo=clock.now().tzinfo) + timedelta(minutes=10) > clock.now():
            clock.advance(due_at.replace(tzinfo=clock.now().tzinfo) + timedelta(minutes=10) - clock.now())
        if user_id in by_user:
            await by_user[user_id].press_data(f"rem:done:{row_id}")


def local(day: int, clock_time: time, birth) -> datetime:
    return datetime.combine(birth + timedelta(days=day), clock_time, tzinfo=WIB)


@pytest.mark.parametrize("protocol_id", ["seed000", "seed001", "seed002", "seed003"])
async def test_a_seed_protocol_from_facility_link_to_analyze(bot, db, clock, fake_tg, monkeypatch, capsys,
                                                            protocol_id):
    content = get_content()
    protocol = content.protocols[protocol_id]
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["midwife", "invite", "--facility", "Puskesmas Uji", "--protocol", protocol_id]) == 0
    assert f"protocol: {protocol_id}" in capsys.readouterr().out
    with db.session() as s:
        facility = s.exec(select(Facility)).one()
        code, registration = facility.code, facility.registration_code
    assert cli.main(["facility", "protocol", "--facility", code, protocol_id]) == 0  # the same, by its code

    names = ["Ani", "Bina", "Cici", "Dina", "Eni"]
    mothers = {n: fake_tg.user(user_id=4000 + i, first_name=n) for i, n in enumerate(names)}
    for n, user in mothers.items():
        await register_through(user, registration, n, research=n != "Cici")
    # Table 1: Ani answers some questions, Bina skips them all with one tap.
    ani, bina = mothers["Ani"], mothers["Bina"]
    await ani.press("Boleh, tanya saja")
    await ani.press("20–35 tahun")
    await ani.press("Anak pertama")
    await ani.press("SMA/SMK")
    await ani.press("Ibu rumah tangga")
    await ani.press("Sesar")
    await ani.send("06.00")  # day 1 then starts at 06:00 the day after birth
    assert "sudah disimpan" in ani.last_reply.text
    await bina.press("Lewati semua")

    with db.session() as s:
        fams = {f.created_by: f for f in s.exec(select(Family))}
        users = {u.telegram_id: u for u in s.exec(select(User))}
        birth = next(iter(fams.values())).birth_date
        for user in mothers.values():
            fam = fams[users[user.id].id]
            assert (fam.protocol_id, fam.protocol_version) == (protocol_id, protocol.version)
        ani_family = fams[users[ani.id].id]
        assert (ani_family.mother_age, ani_family.parity, ani_family.education, ani_family.work,
                ani_family.birth_mode, ani_family.birth_time) == (28, 1, "sma", "irt", "sesar", "06:00")
        assert fams[users[bina.id].id].characteristics_skipped is True

    ordered = slots(protocol)
    instrument = content.instruments[protocol.instrument]
    late_pre = ordered[1].day > 1  # a day without the next slot open: the first "before" can be filled in late
    dina = mothers["Dina"]
    for slot in ordered:
        if slot.occasion == "pre":
            at = local(slot.day, time(7, 0), birth)
        else:
            at = local(slot.day, time(21, 0) if slot.slot == "after_last_session" else time(9, 0), birth)
        if slot.slot == "after_last_session":
            await log_day_massages(db, clock, mothers, users, fams, slot.day)
        if at > clock.now():
            clock.advance(at - clock.now())
        for n, user in mothers.items():
            if n == "Dina" and slot.index == 0:
                continue
            if n == "Ani" and slot.index == 0:
                # The massage first: the bot asks for the "before" checklist, Ani fills it in from there.
                await user.send("/pijat")
                assert "Sebelum pijat pertama" in user.last_reply.text
                await user.press("📝 Isi ceklis dulu")
            else:
                await user.send("/ceklis")
            assert "Pertanyaan 1" in user.last_reply.text, (slot, user.text_log())
            await answer_all(user, instrument, 0 if slot.occasion == "pre" else -1)
        if slot.index == 0:
            if late_pre:  # Dina fills in her day-1 "before" checklist on day 2
                clock.advance(local(2, time(9, 0), birth) - clock.now())
                await dina.send("/ceklis")
                await answer_all(dina, instrument, 0)
            else:  # seed 001: a massage logged before it, so the bot no longer offers it
                with db.session() as s:
                    fid = fams[users[dina.id].id].id
                    row = s.exec(select(Outbox).where(Outbox.family_id == fid, Outbox.kind == "massage",
                                                      Outbox.user_id == users[dina.id].id)
                                 .order_by(Outbox.due_at)).first()
                if row.due_at > clock.now():
                    clock.advance(row.due_at - clock.now() + timedelta(minutes=5))
                await dina.press_data(f"rem:done:{row.id}")
                assert "sudah saya catat" in dina.last_reply.text, dina.text_log()
                await dina.send("/ceklis")
                assert "sudah lewat" in dina.last_reply.text, dina.text_log()
                await dina.send("/pijat")
                assert "Sebelum pijat pertama" not in dina.last_reply.text

    # Eni consented, then uses /hapus: her answers stay for research without anything that names her.
    eni = mothers["Eni"]
    await eni.send("/hapus")
    assert "tetap disimpan" in eni.last_reply.text and "tanpa nama" in eni.last_reply.text
    await eni.press("Ya, hapus data saya")
    with db.session() as s:
        gone = s.exec(select(User).where(User.id == users[eni.id].id)).one()
        assert gone.telegram_id is None and gone.chat_id is None and gone.first_name is None
        assert gone.display_name is None and gone.deleted_at is not None
        fam = s.get(Family, fams[users[eni.id].id].id)
        assert fam.status == "deleted" and fam.birth_date is None and fam.birth_time is None
        kept = s.exec(select(Measurement).where(Measurement.family_id == fam.id)).all()
        assert len(kept) == len(ordered) and all(m.started_by is None for m in kept)
        answers = s.exec(select(Answer).where(Answer.measurement_id.in_([m.id for m in kept]))).all()
        assert answers and all(a.answered_by is None for a in answers)
        assert not s.exec(select(Membership).where(Membership.family_id == fam.id,
                                                   Membership.active == True)).all()  # noqa: E712
        if late_pre:
            dina_pre = s.exec(select(Measurement).where(Measurement.family_id == fams[users[dina.id].id].id)
                              .order_by(Measurement.id)).first()
            assert dina_pre.window == "late"
        on_time = s.exec(select(Measurement).where(Measurement.family_id == fams[users[ani.id].id].id)).all()
        assert {m.window for m in on_time} == {"on_time"}

    capsys.readouterr()
    assert cli.main(["analyze", "--protocol", protocol_id, "--facility", code, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["protocol"] == {"id": protocol_id, "version": protocol.version, "instrument": protocol.instrument}
    flow = out["flow"]
    assert flow["registered"] == 5 and flow["consented_research"] == 4
    expected_pairs = [(s.label, p.label) for s in ordered if s.occasion == "pre"
                      for p in [next(x for x in ordered[s.index + 1:] if x.occasion == "post")]]
    assert [(p["pre"], p["post"]) for p in out["pairs"]] == expected_pairs
    if protocol_id == "seed001":
        assert [p["day"] for p in out["pairs"]] == [1, 2, 3]
    primary = out["pairs"][0]
    assert primary["n"] == 3 and out["n"] == 3  # Ani, Bina and the deleted Eni; not Cici, not Dina
    if late_pre:
        assert primary["excluded"] == {"window_late": 1} and primary["outside_window"] == 1
        assert flow["excluded"] == {"window_late": 1}
    else:
        assert primary["excluded"] == {"no_pre": 1}
        assert [p["n"] for p in out["pairs"]] == [3, 4, 4]  # Dina is back for days 2 and 3
    assert flow["analysed"] == 3
    ages = next(c for c in out["characteristics"] if c["variable"] == "age")
    assert ages["answered"] == 1 and {r["category"]: r["n"] for r in ages["rows"]}["20_35"] == 1
    assert out["frequencies"] and all(f["n"] >= 3 for f in out["frequencies"])
    assert {i["item"] for i in out["items"]} == {i.id for i in content.instruments[protocol.instrument].items}

    # Cici refused research use: nothing of hers is in the analysis.
    with db.session() as s:
        cici_code = fams[users[mothers["Cici"].id].id].code
    assert cici_code not in json.dumps(out)
