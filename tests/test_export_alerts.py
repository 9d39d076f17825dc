"""The alerts sheet of the study export audits each escalation: the episode, the ladder step reached, whether the
coordinator was told, how many steps were recorded, minutes until a midwife acknowledged and why an alert was
closed; the family's words and the midwife's reply only in the export with names."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

from openpyxl import load_workbook
from sqlmodel import select

from bot.export import exporting
from bot.flows import alerts as alert_flow
from storage import alerts as alert_store
from storage import staff, users
from storage.models import Alert
from tests.test_danger_e2e import family_with_facility, tick
from tests.test_export import cells, sheet_rows

REPLY = "Saya menuju rumah Ibu sekarang, siapkan selimut bayi."
FIRST_WORDS = "badan bayi panas sekali, 38,5 derajat"
JOINED_WORDS = "sekarang bayinya juga kejang"
DELETED_WORDS = "darah nifas keluar banyak dan bergumpal besar"


async def a_morning_of_alerts(bot, db, clock, fake_tg, mother):
    """Siti's episode (two signs) acknowledged after two repeats with a reply; IbuA1's alert left open until the
    coordinator step; IbuA0's alert closed by her /hapus. Returns (world, head, joined, still open, minutes)."""
    world = family_with_facility(db, clock, coordinator=True)
    ibu_open, ibu_gone = 500_001, 500_000
    with db.session() as session:
        for telegram_id in (ibu_open, ibu_gone):
            person = users.get_by_telegram_id(session, telegram_id)
            person.consent_at = clock.now()
            session.add(person)
    other = fake_tg.user(user_id=ibu_open, first_name="IbuA1")
    gone = fake_tg.user(user_id=ibu_gone, first_name="IbuA0")
    every = bot.settings.alert_repeat

    await mother.send(FIRST_WORDS)
    await other.send("bayi kejang")
    clock.advance(timedelta(minutes=5))
    await mother.send(JOINED_WORDS)  # joins Siti's open episode
    for _ in range(2):
        clock.advance(every)
        await tick(bot)
    clock.advance(timedelta(minutes=3, seconds=30))
    with db.session() as session:
        head = session.exec(select(Alert).where(Alert.words == FIRST_WORDS)).one()
        me = staff.active_for_telegram_id(session, 2001)
        assert alert_flow.acknowledge(session, bot.runtime.content, alert_id=head.id, staff_user_id=me.user_id,
                                      now=clock.now(), reply=REPLY).first
    minutes = 5 + 2 * every.total_seconds() / 60 + 3.5
    for _ in range(2):  # IbuA1's alert climbs on to the coordinator step
        clock.advance(every)
        await tick(bot)

    await gone.send(DELETED_WORDS)
    await gone.send("/hapus")
    await gone.press(bot.runtime.content.text("menu.button_delete_yes"))
    with db.session() as session:
        rows = {a.words: a for a in session.exec(select(Alert))}
        deleted = [a for a in rows.values() if a.closed_reason == alert_store.FAMILY_DELETED]
        assert len(deleted) == 1 and deleted[0].words is None
        assert rows[JOINED_WORDS].episode_id == head.id
        opened = next(a for a in rows.values() if a.handled_at is None)
        return world, head.id, rows[JOINED_WORDS].id, opened.id, minutes


def exported(db, bot, facility_id: int, fmt: str, *, with_names: bool) -> bytes:
    with db.session() as session:
        data, _ = exporting.export_bytes(session, bot.runtime.content, facility_id, fmt=fmt, with_names=with_names)
    return data


def alerts_csv(data: bytes) -> list[dict]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return list(csv.DictReader(io.StringIO(zf.read("alerts.csv").decode("utf-8-sig")), delimiter=";"))


async def test_the_alerts_sheet_shows_episode_step_closing_and_time_to_acknowledge(bot, db, clock, fake_tg, mother,
                                                                                  midwife):
    world, head_id, joined_id, open_id, minutes = await a_morning_of_alerts(bot, db, clock, fake_tg, mother)
    with db.session() as session:
        logged = {i: [e.event for e in alert_store.events(session, i)] for i in (head_id, joined_id, open_id)}
    assert "acknowledged" in logged[head_id] and "coordinator" not in logged[head_id] and logged[joined_id] == []
    assert "coordinator" in logged[open_id]

    wb = load_workbook(io.BytesIO(exported(db, bot, world.a.id, "xlsx", with_names=False)), read_only=True)
    rows = sheet_rows(wb, "alerts")
    siti = world.mothers_family.code
    assert len(rows) == 3, "the alert closed by /hapus belongs to a deleted family: not exported (as before)"
    head, joined = (r for r in rows if r["family"] == siti)
    opened = next(r for r in rows if r["family"] != siti)
    assert (head["episode"], joined["episode"], opened["episode"]) == (head_id, head_id, open_id)
    assert (head["step"], head["repeats"], joined["step"]) == (2, 2, 0)
    assert (opened["step"], opened["repeats"]) == (alert_flow.COORDINATOR_STEP, alert_flow.COORDINATOR_STEP)
    assert (head["coordinator_told"], joined["coordinator_told"], opened["coordinator_told"]) == ("Tidak", "Tidak",
                                                                                                    "Ya")
    assert (head["events"], joined["events"], opened["events"]) == (len(logged[head_id]), 0, len(logged[open_id]))
    assert (head["handled"], joined["handled"], opened["handled"]) == ("Ya", "Ya", "Tidak")
    assert (head["minutes_to_ack"], joined["minutes_to_ack"], opened["minutes_to_ack"]) == (minutes, minutes - 5, None)
    assert minutes % 1 == 0.5
    assert {r["closed_reason"] for r in rows} == {None}
    assert not {"handled_by_name", "words", "reply"} & set(head)
    assert not {FIRST_WORDS, JOINED_WORDS, REPLY} & cells(wb), "personal words in the export without names"

    book = {d["column"]: d for d in sheet_rows(wb, "dictionary") if d["sheet"] == "Tanda bahaya" and d["column"]}
    assert book["closed_reason"]["allowed_values"] == "1 = Keluarga menghapus data (family_deleted)"
    assert "4 = Pengingat ke-4, juga ke koordinator" in book["step"]["allowed_values"]
    assert book["step"]["allowed_values"].startswith("0 = Pesan pertama ke bidan; 1 = Pengingat ke-1 ke bidan")
    assert book["minutes_to_ack"]["unit"] == "menit" and book["minutes_to_ack"]["type"] == "angka"
    assert all(book[c]["description"] for c in ("episode", "step", "coordinator_told", "events", "minutes_to_ack",
                                                "closed_reason"))

    plain = alerts_csv(exported(db, bot, world.a.id, "csv", with_names=False))
    assert [r["episode"] for r in plain] == [str(head_id), str(open_id), str(head_id)]  # in the order raised
    first = plain[0]
    assert (first["step"], first["coordinator_told"], first["handled"], first["closed_reason"]) == ("2", "0", "1", "")
    assert first["minutes_to_ack"] == f"{minutes:.1f}".replace(".", ",") and plain[1]["minutes_to_ack"] == ""
    assert plain[1]["coordinator_told"] == "1" and plain[1]["events"] == str(len(logged[open_id]))
    assert "words" not in first and "reply" not in first


async def test_the_family_words_and_the_reply_are_only_in_the_export_with_names(bot, db, clock, fake_tg, mother,
                                                                               midwife):
    world, head_id, _, _, _ = await a_morning_of_alerts(bot, db, clock, fake_tg, mother)
    wb = load_workbook(io.BytesIO(exported(db, bot, world.a.id, "xlsx", with_names=True)), read_only=True)
    rows = sheet_rows(wb, "alerts")
    head, joined = (r for r in rows if r["family"] == world.mothers_family.code)
    assert (head["words"], head["reply"], head["handled_by_name"]) == (FIRST_WORDS, REPLY, "Bidan Aminah")
    assert (joined["words"], joined["reply"]) == (JOINED_WORDS, None)
    assert DELETED_WORDS not in cells(wb)  # /hapus removed them
    named = alerts_csv(exported(db, bot, world.a.id, "csv", with_names=True))
    assert (named[0]["episode"], named[0]["words"], named[0]["reply"]) == (str(head_id), FIRST_WORDS, REPLY)
