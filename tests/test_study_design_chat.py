"""The study design from the midwife's chat, on the demo (issue 14): /analisis for seed 001 prints the per-day
tables and the three-level frequencies, asks which protocol when the facility has more than one; /protokol
lets the coordinator set the facility's protocol and moves one family only before its first measurement.
Plus the window rules as plain functions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import select

from analysis.characteristics import table1
from analysis.flow import FamilyCourse, flow
from analysis.frequencies import level_table
from bot.devtools.demo import STUDY_MIDWIFE_PROTOCOL, add_family, seed_study_demo
from bot.flows import windows
from content import get_content
from storage.models import Facility, Family

MIDWIFE = 2001


async def test_demo_analisis_for_seed001_per_day_and_three_levels(bot, db, clock, fake_tg):
    with db.session() as s:
        demo = seed_study_demo(s, clock.now(), settings=bot.settings, midwife_telegram_id=MIDWIFE)
        assert demo.deleted is not None
    midwife = fake_tg.user(user_id=MIDWIFE, first_name="Bidan")
    await midwife.send("/analisis")
    # On a phone: one short message per protocol (each day's pair in words with its p), the chart, the workbook.
    summary = [m.text for m in midwife.replies_since_last_action if m.kind == "text"]
    assert len(summary) == 1 and len(summary[0]) <= 700
    for day in (1, 2, 3):
        assert f"Hari {day} (n = " in summary[0]
    assert "p = " in summary[0] and "Lancar" in summary[0]
    assert any(m.kind == "photo" for m in midwife.replies_since_last_action)
    book = midwife.last_reply
    assert book.filename.endswith(".xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(book.document), read_only=True)
    assert wb.sheetnames[:3] == ["Ringkasan", "Alur dan tabel studi", "Kepatuhan pijat"]
    # The first sheet is tables, one value per cell, numbers as numbers: a row per day's pair.
    summary = [list(r) for r in wb["Ringkasan"].iter_rows(values_only=True)]
    pairs = [r for r in summary if r and isinstance(r[0], str) and r[0].startswith("Hari ") and r[0].endswith("pijat")
             and isinstance(r[1], int)]
    assert len(pairs) >= 3 and all(isinstance(r[7], int | float) and 0 <= r[7] <= 1 for r in pairs[:3])  # n, p as numbers
    assert max(len([c for c in r if c is not None]) for r in summary) >= 6  # real columns, not one of text
    first = [str(r[0]) for r in wb["Alur dan tabel studi"].iter_rows(values_only=True) if r and r[0]]
    assert "Alur peserta" in first and any(str(x).startswith("Hari ke-1:") for x in first)
    # The full report (the workbook's first sheet, and the dashboard): per day, three levels, SPSS's figures.
    joined = "\n".join(first)
    for day in (1, 2, 3):
        assert f"Hari ke-{day}: sebelum dan sesudah pijat" in joined
    assert "Lancar" in joined and "Cukup lancar" in joined and "Kurang lancar" in joined
    assert joined.count("Sebelum (hari ke-") >= 3 and joined.count("Sesudah (hari ke-") >= 3
    assert "Alur peserta" in joined and "tidak izin penelitian 2" in joined
    # Each day's test as SPSS prints it and as issue 15 decides it: both Wilcoxon p, the exact one deciding
    # (n <= 50), the t only as a secondary figure (skala3 is ordinal), and the direction in words.
    assert joined.count("Sig. eksak p") == 3 and joined.count("asimtotik p") == 3
    assert joined.count("Kesimpulan (uji Wilcoxon, Sig. eksak)") == 3
    assert joined.count("Uji t berpasangan (hanya pelengkap") == 3
    assert "Uji t berpasangan: t" not in joined
    assert "Karakteristik responden" in joined
    frequencies = joined
    # The per-item tables (issue 14): each item's text, the answers the family saw, n and % per occasion,
    # the counts adding up to the occasion's n, the same n as the chat's frequencies.
    assert wb.sheetnames[3] == "Frekuensi per butir"
    item_rows = [list(r) for r in wb["Frekuensi per butir"].iter_rows(values_only=True)]
    texts_in_sheet = "\n".join(str(r[0]) for r in item_rows if r and r[0])
    instrument = get_content().instruments["skala3"]
    for item in instrument.items:
        assert item.text in texts_in_sheet
        for choice in item.choices:
            assert choice.label in texts_in_sheet
    header = next(i for i, r in enumerate(item_rows) if r[0] == "Jawaban")
    total = next(r for r in item_rows[header:] if r[0] == "Jumlah")
    answers = item_rows[header + 2:item_rows.index(total)]
    assert len(answers) == 3
    chat_n = [int(n) for n in re.findall(r"\(hari ke-\d\) \(n = (\d+)\)", frequencies)]
    assert len(chat_n) == 6 and sum(chat_n) > 0
    assert [total[1 + 2 * k] for k in range(6)] == chat_n
    for k in range(6):
        assert sum(r[1 + 2 * k] for r in answers) == chat_n[k]
        if chat_n[k]:
            assert abs(sum(r[2 + 2 * k] for r in answers) - 100) < 0.5
    assert item_rows[header][1].startswith("Sebelum (hari ke-1)")

    # A second protocol in her facility: /analisis asks which one.
    with db.session() as s:
        facility = s.get(Facility, demo.facilities[STUDY_MIDWIFE_PROTOCOL].id)
        add_family(s, facility, now=clock.now(), age_days=6, protocol_id="seed002", mother=(880_001, "Lain"))
    await midwife.send("/analisis")
    assert "lebih dari satu protokol" in midwife.last_reply.text
    labels = midwife.last_reply.button_labels
    assert any(label.startswith("seed001") for label in labels) and any(label.startswith("seed002") for label in labels)
    await midwife.press(next(label for label in labels if label.startswith("seed002")))
    assert "Seed 002" in "\n".join(m.text or "" for m in midwife.replies_since_last_action)


async def test_protokol_sets_the_facility_and_moves_a_family_before_its_first_measurement(bot, db, clock, fake_tg):
    with db.session() as s:
        demo = seed_study_demo(s, clock.now(), settings=bot.settings, midwife_telegram_id=MIDWIFE,
                               families_per_protocol=4)
        facility = demo.facilities[STUDY_MIDWIFE_PROTOCOL]
        fresh = add_family(s, s.get(Facility, facility.id), now=clock.now(), age_days=0, protocol_id="seed001",
                           mother=(880_002, "Baru"), checklists=False)
        measured = demo.families[STUDY_MIDWIFE_PROTOCOL][0].code
    midwife = fake_tg.user(user_id=MIDWIFE, first_name="Bidan")
    await midwife.send("/protokol")
    assert "seed001" in midwife.last_reply.text
    for p in get_content().protocols.values():  # each protocol with its one-line description, not a bare code
        assert f"{p.id}: {p.title}" in midwife.last_reply.text
    await midwife.press("seed003")
    assert "seed003" in midwife.last_reply.text
    with db.session() as s:
        assert s.get(Facility, facility.id).default_protocol == "seed003"

    await midwife.send(f"/protokol {measured} seed000")
    assert "tidak bisa dipindah" in midwife.last_reply.text
    await midwife.send(f"/protokol {fresh.code} seed000")
    assert "sekarang memakai" in midwife.last_reply.text
    with db.session() as s:
        moved = s.exec(select(Family).where(Family.code == fresh.code)).one()
        assert (moved.protocol_id, moved.protocol_version) == ("seed000", 1)
        kept = s.exec(select(Family).where(Family.code == measured)).one()
        assert kept.protocol_id == "seed001"


def _family(birth: date, birth_time: str | None = None) -> Family:
    return Family(code="X", link_code="Y", birth_date=birth, timezone="Asia/Jakarta", birth_time=birth_time)


def test_windows_classify_each_status():
    protocol = get_content().protocols["seed001"]
    fam = _family(date(2026, 11, 19))
    times = [time(8, 0), time(16, 0)]
    wib = timedelta(hours=7)

    def at(day: int, hour: int, minute: int = 0) -> datetime:  # local WIB time on the calendar day birth + day
        return datetime.combine(date(2026, 11, 19) + timedelta(days=day), time(hour, minute), tzinfo=UTC) - wib

    session = windows.DoneSession(1, at(1, 8), at(1, 8) + timedelta(minutes=5))
    afternoon = windows.DoneSession(1, at(1, 16), at(1, 16) + timedelta(minutes=5))
    both = [session, afternoon]
    assert windows.classify(protocol, "pre", 1, fam, times, [], started_at=at(1, 7), completed_at=at(1, 7)) == "on_time"
    assert windows.classify(protocol, "pre", 1, fam, times, [session], started_at=at(1, 9),
                            completed_at=at(1, 9)) == "after_massage"
    # An "after" opens only once the massage it follows is done: not at a reminder time before it.
    assert windows.classify(protocol, "post", 1, fam, times, [session], started_at=at(1, 16),
                            completed_at=at(1, 16)) == "early"
    assert windows.classify(protocol, "post", 1, fam, times, [], started_at=at(1, 20),
                            completed_at=at(1, 20)) == "early"
    assert windows.classify(protocol, "post", 1, fam, times, both, started_at=at(1, 20),
                            completed_at=at(1, 20)) == "on_time"
    # The afternoon massage done, the morning one skipped: the "after" follows it.
    assert windows.classify(protocol, "post", 1, fam, times, [afternoon], started_at=at(1, 17),
                            completed_at=at(1, 17)) == "on_time"
    # Only the morning one done: 3 hours after the afternoon time its massage counts as missed, and the "after"
    # follows the morning one.
    assert windows.classify(protocol, "post", 1, fam, times, [session], started_at=at(1, 18),
                            completed_at=at(1, 18)) == "early"
    assert windows.classify(protocol, "post", 1, fam, times, [session], started_at=at(1, 19, 30),
                            completed_at=at(1, 19, 30)) == "on_time"
    assert windows.classify(protocol, "post", 1, fam, times, both, started_at=at(2, 9),
                            completed_at=at(2, 9)) == "late"  # past midnight + 6 h grace
    assert windows.classify(protocol, "pre", 2, fam, times, [], started_at=at(1, 21),
                            completed_at=at(1, 21)) == "early"
    # Never offered: a "before" after that day's massage; an "after" before its massage or days past its window.
    assert not windows.offerable(protocol, "pre", 1, fam, times, [session], now=at(1, 9))
    assert not windows.offerable(protocol, "post", 1, fam, times, [session], now=at(1, 16))
    assert windows.waiting_for_massage(protocol, "post", 1, fam, times, [session], now=at(1, 16))
    assert windows.offerable(protocol, "post", 1, fam, times, both, now=at(1, 23))
    assert not windows.offerable(protocol, "post", 1, fam, times, both, now=at(3, 9))
    # With the time of birth, day 1 starts 24 hours after it.
    late_born = _family(date(2026, 11, 19), "21:30")
    late_both = [windows.DoneSession(1, at(2, 8), at(2, 8) + timedelta(minutes=5)),
                 windows.DoneSession(1, at(2, 16), at(2, 16) + timedelta(minutes=5))]
    assert windows.classify(protocol, "post", 1, late_born, times, late_both, started_at=at(1, 20),
                            completed_at=at(1, 20)) == "early"  # its day 1 ends only at 21:30 the next day
    assert windows.classify(protocol, "post", 1, late_born, times, late_both, started_at=at(2, 17),
                            completed_at=at(2, 17)) == "on_time"


def test_flow_frequencies_and_table1_by_hand():
    courses = [
        FamilyCourse("A", True, pre="on_time", post="on_time", sessions={1: (2, 600)}, analysed=True),
        FamilyCourse("B", True, pre="late", post="on_time"),
        FamilyCourse("C", False),
        FamilyCourse("D", True, pre="on_time", post=None, paused=True),
        FamilyCourse("E", False, deleted=True),
    ]
    f = flow(courses, [1, 2, 3], 2)
    assert (f.registered, f.consented_research, f.pre_on_time, f.post_on_time, f.analysed) == (5, 3, 2, 1, 1)
    assert f.losses["consent"] == {"no_consent": 1, "deleted": 1}
    assert f.excluded == {"window_late": 1, "paused": 1}
    assert f.days[0].families_full == 1 and f.days[0].minutes == 10
    t = level_table({"pre": ["a", "b", "b", None]}, [("a", "A"), ("b", "B"), ("c", "C")])
    occ = t.occasions[0]
    assert occ.total == 3 and occ.missing == 1 and [lv.n for lv in occ.levels] == [1, 2, 0]
    assert abs(occ.levels[1].share - 2 / 3) < 1e-12
    tables = {x.variable: x for x in table1([{"mother_age": 19, "parity": 1}, {"mother_age": 36, "parity": 3},
                                              {"mother_age": None}])}
    assert [(r.category, r.n) for r in tables["age"].rows] == [("lt20", 1), ("20_35", 0), ("gt35", 1)]
    assert tables["age"].missing == 1 and tables["parity"].rows[1].n == 1


async def test_analisis_asks_which_protocol_version_when_families_are_on_two(bot, db, clock, fake_tg):
    """Versions are never pooled: a facility whose seed001 families registered under two versions is asked."""
    with db.session() as s:
        demo = seed_study_demo(s, clock.now(), settings=bot.settings, midwife_telegram_id=MIDWIFE)
        facility = s.get(Facility, demo.facilities[STUDY_MIDWIFE_PROTOCOL].id)
        newer = add_family(s, facility, now=clock.now(), age_days=6, protocol_id=STUDY_MIDWIFE_PROTOCOL,
                           mother=(880_101, "Baru"))
        s.get(Family, newer.family_id).protocol_version = 2
    midwife = fake_tg.user(user_id=MIDWIFE, first_name="Bidan")
    await midwife.send("/analisis")
    assert "lebih dari satu versi" in midwife.last_reply.text
    labels = midwife.last_reply.button_labels
    assert labels[0].startswith("Versi 2: 1 keluarga") and labels[1].startswith("Versi 1:")
    await midwife.press(labels[1])
    joined = "\n".join(m.text or "" for m in midwife.replies_since_last_action)
    assert "(versi 1)" in joined and "Hari 1 (n = " in joined  # the phone summary of that version
    await midwife.send(f"/analisis {STUDY_MIDWIFE_PROTOCOL} 2")  # or straight away, by its number
    assert "(versi 2)" in "\n".join(m.text or "" for m in midwife.replies_since_last_action)


def test_item_sheet_names_the_criterion_of_number_items_and_ya_tidak(db, clock, tmp_path):
    """seed 000 (bayi6: counts scored by a criterion, choices) and seed 003 (oksitosin16: 16 yes/no
    statements): one block per item, before and after, the counts adding up to each occasion's n."""
    from openpyxl import Workbook, load_workbook

    from bot.flows import protocol_study, study_report

    content = get_content()
    with db.session() as s:
        demo = seed_study_demo(s, clock.now())
        found = {p: protocol_study.study(s, content, p, demo.facilities[p].id) for p in ("seed000", "seed003")}
    for protocol_id, expected in (("seed000", "Memenuhi kriteria (≥ 6 kali)"), ("seed003", "Ya")):
        path = tmp_path / f"{protocol_id}.xlsx"
        Workbook().save(path)
        study = found[protocol_id]
        study_report.add_study_sheets(path, content.text, study, protocol_study.analyse_study(study), "Demo")
        sheet = load_workbook(path)["Frekuensi per butir"]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert sheet.cell(1, 1).font.bold
        headers = [i for i, r in enumerate(rows) if r[0] == "Jawaban"]
        assert len(headers) == len(study.instrument.items)
        for item, at in zip(study.instrument.items, headers, strict=True):
            assert item.text in str(rows[at - 1][0])
            assert sheet.cell(at + 1, 1).font.bold and sheet.cell(at + 2, 2).font.bold
            assert [rows[at][1], rows[at][3]] == [study_report.occasion_name(content.text, study, o)
                                                  for o in study.occasions]
            end = next(j for j in range(at, len(rows)) if rows[j][0] == "Jumlah")
            answers = rows[at + 2:end]
            assert len(answers) == 2  # Ya/Tidak, met/not met, or the choices scoring 1 / 0
            assert sum(r[1] for r in answers) == rows[end][1] and sum(r[3] for r in answers) == rows[end][3]
            assert rows[end][1] == next(i.total for i in study.items if i.item_id == item.id
                                        and i.occasion == study.occasions[0])
        assert rows[headers[0] + 2][0] == expected  # the first item's first answer: the criterion met, or Ya
        assert rows[headers[0] + 2][1] + rows[headers[0] + 3][1] > 0
