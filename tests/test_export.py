"""/export, /analisis and `python -m bot export`: the right sheets, only her facility, pseudonymous unless
asked, audited, and the wide sheet gives the same numbers through `analyze --csv` as /analisis."""

from __future__ import annotations

import csv
import io
import json
import types
import zipfile

from openpyxl import load_workbook
from sqlmodel import select

from analysis import ClassLabels, analyze_pairs, read_pairs_text, render_compact, to_json
from bot import cli
from bot.devtools.demo import add_family
from bot.export import exporting
from bot.flows import protocol_study
from bot.flows.instrument_scale import scale_for
from content import get_content
from storage import audit
from storage.models import User
from tests.test_midwife_support import MIDWIFE_B, two_facilities

SHEETS = ["families", "members", "sessions", "answers", "prepost_default_v1", "alerts", "questions", "dictionary"]
TITLES = ["Keluarga", "Anggota keluarga", "Sesi pijat", "Jawaban ceklis", "Pre-post default v1", "Tanda bahaya",
          "Pertanyaan", "Kamus data"]


def t(bot, key: str, **params) -> str:
    return bot.runtime.content.text(key, **params)


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data), read_only=True)


def cells(wb) -> set[str]:
    out = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            out.update(str(v) for v in row if v is not None)
    return out


def sheet_rows(wb, name: str) -> list[dict]:
    """A sheet's rows by machine column name: the workbook shows Indonesian titles and headers, and its
    codebook ("Kamus data") maps each header back to the variable name."""
    title = TITLES[SHEETS.index(name)] if name in SHEETS else name
    rows = [r for r in wb[title].iter_rows(values_only=True) if any(v is not None for v in r)]
    if title == TITLES[-1]:
        return [dict(zip(CODEBOOK, r, strict=True)) for r in rows[1:]]
    book = [dict(zip(CODEBOOK, r, strict=True)) for r in list(wb[TITLES[-1]].iter_rows(values_only=True))[1:]]
    names = {d["header"]: d["column"] for d in book if d["sheet"] == title and d["column"]}
    return [dict(zip([names[h] for h in rows[0]], r, strict=True)) for r in rows[1:]]


CODEBOOK = ["sheet", "column", "header", "description", "type", "unit", "measure", "allowed_values", "scoring",
            "origin", "belongs_to"]


def names_and_ids(db) -> tuple[set[str], set[str]]:
    with db.session() as session:
        people = session.exec(select(User)).all()
    return {p.first_name for p in people if p.first_name}, {str(p.telegram_id) for p in people}


async def test_export_sends_a_pseudonymous_workbook_of_her_facility_only(bot, db, clock, midwife):
    world = two_facilities(db, clock.now())
    await midwife.send("/export")
    reply = midwife.last_reply
    assert reply.filename.endswith(".xlsx") and world.a.code in reply.filename
    wb = workbook(reply.document)
    assert wb.sheetnames == TITLES
    families = sheet_rows(wb, "families")
    assert sorted(r["family"] for r in families) == sorted(f.code for f in world.a_families)
    assert {r["facility"] for r in families} == {world.a.name}  # the facility as she knows it
    everything = cells(wb)
    assert not any(f.code in everything for f in world.b_families)
    names, telegram_ids = names_and_ids(db)
    assert not names & everything, "a name leaked into the pseudonymous export"
    assert not telegram_ids & everything, "a Telegram id leaked into the export"
    members = sheet_rows(wb, "members")
    assert {m["member"] for m in members} >= {f"{world.mothers_family.code}-1", f"{world.mothers_family.code}-2"}
    answers = sheet_rows(wb, "answers")
    assert {a["occasion"] for a in answers} == {"Sebelum pijat", "Sesudah pijat"}  # value labels, not codes
    assert len(answers) == 6 * 2 * len(world.a_families)
    wide = sheet_rows(wb, "prepost_default_v1")  # one sheet per protocol version (issue 24)
    mine = next(r for r in wide if r["participant"] == world.mothers_family.code)
    label = {c.key: c.label for c in get_content().instruments["bayi6"].classifications}
    assert (mine["pre"], mine["pre_class"]) == (world.mothers_family.pre[0], label[world.mothers_family.pre[1]])
    assert (mine["post"], mine["post_class"]) == (world.mothers_family.post[0], label[world.mothers_family.post[1]])
    assert mine["diff"] == mine["post"] - mine["pre"]
    assert (mine["pre_window"], mine["post_window"]) == ("Tepat waktu", "Tepat waktu")
    assert mine["pre_outside"] is None and mine["withdrawn"] == "Tidak"
    # bayi6 has a baby's day norm: its class against it sits beside the instrument's class (issue 24's report)
    assert "pre_norm_class" in mine and "post_norm_class" in mine
    item_cols = [c for c in mine if c.startswith("pre_") and c not in ("pre_class", "pre_window", "pre_outside",
                                                                       "pre_norm_class")]
    assert sum(mine[c] for c in item_cols) == mine["pre"]
    dictionary = sheet_rows(wb, "dictionary")
    described = {(d["sheet"], d["column"]) for d in dictionary}
    for name, title in zip(SHEETS[:-1], TITLES[:-1], strict=True):
        headers = next(wb[title].iter_rows(values_only=True))
        by_header = {d["header"]: d["column"] for d in dictionary if d["sheet"] == title and d["column"]}
        assert all(h in by_header and (title, by_header[h]) in described for h in headers), name
    assert all(d["description"] for d in dictionary)
    wide_book = {d["column"]: d for d in dictionary if d["sheet"] == TITLES[4] and d["column"]}
    assert wide_book["pre_class"]["allowed_values"] == "1 = Lancar (lancar); 2 = Tidak lancar (tidak_lancar)"
    assert wide_book["pre"]["scoring"].startswith("Jumlah skor butir, 0-6")
    assert wide_book["pre_bak_frekuensi"]["scoring"] == "1 bila ≥ 6 kali, selain itu 0."
    assert "turunan" in wide_book["pre_bak_frekuensi"]["origin"] and "seed000" in wide_book["pre"]["origin"]
    assert wide_book["pre"]["belongs_to"] == "default v1 / bayi6 v1" and wide_book["pre"]["measure"] == "ordinal"

    with db.session() as session:
        logged = audit.entries(session, action="export")
        assert len(logged) == 1
        entry = logged[0]
        assert entry.facility_id == world.a.id and entry.actor == "telegram"
        assert entry.actor_user_id is not None and entry.at == clock.now()
        assert entry.rows == sum(len(sheet_rows(wb, n)) for n in SHEETS[:-1])
        assert entry.detail["with_names"] is False


async def test_export_nama_has_names_and_is_audited_as_such(bot, db, clock, midwife):
    world = two_facilities(db, clock.now())
    await midwife.send("/export nama")
    reply = midwife.last_reply
    assert "DENGAN NAMA" in reply.text
    wb = workbook(reply.document)
    families = sheet_rows(wb, "families")
    mine = next(r for r in families if r["family"] == world.mothers_family.code)
    assert mine["mother_name"] == "Siti"
    assert "Budi" in {m["name"] for m in sheet_rows(wb, "members")}
    _, telegram_ids = names_and_ids(db)
    assert not telegram_ids & cells(wb)  # never Telegram ids, even with names
    with db.session() as session:
        assert audit.entries(session, action="export")[0].detail["with_names"] is True


async def test_export_csv_sends_a_zip_of_csv_files(bot, db, clock, midwife, fake_tg):
    world = two_facilities(db, clock.now())
    other = fake_tg.user(user_id=MIDWIFE_B, first_name="Maluku")
    await other.send("/export csv")
    reply = other.last_reply
    assert reply.filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(reply.document)) as zf:  # in words: files, headers and values
        assert zf.namelist() == [f"{title.replace(' ', '_')}.csv" for title in TITLES]
        raw = zf.read("Keluarga.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, ";" between cells: Indonesian Excel
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert sorted(r["Kode keluarga"] for r in rows) == sorted(f.code for f in world.b_families)
    assert {r["Fasilitas"] for r in rows} == {world.b.name} and {r["Zona waktu"] for r in rows} <= {"WIB", "WITA", "WIT"}
    assert {r["Status"] for r in rows} == {"Berjalan"}
    # The codes variant, for scripts: machine names and the stored codes (the codebook explains them).
    await other.send("/export csv kode")
    with zipfile.ZipFile(io.BytesIO(other.last_reply.document)) as zf:
        assert zf.namelist() == [f"{name}.csv" for name in SHEETS]
        coded = list(csv.DictReader(io.StringIO(zf.read("families.csv").decode("utf-8-sig")), delimiter=";"))
    assert sorted(r["family"] for r in coded) == sorted(f.code for f in world.b_families)
    assert {r["status"] for r in coded} == {"active"} and {r["facility"] for r in coded} == {world.b.code}


async def test_export_with_an_unknown_word_explains_itself(bot, db, clock, midwife, fake_tg):
    two_facilities(db, clock.now())
    await midwife.send("/export semua")
    assert midwife.last_reply.text == t(bot, "midwife.export_usage")
    assert fake_tg.calls_to("sendDocument") == []


async def test_analisis_matches_the_exported_wide_sheet_through_analyze_csv(bot, db, clock, midwife, tmp_path,
                                                                            monkeypatch, capsys):
    world = two_facilities(db, clock.now(), a_extra=9, b_count=3)
    with db.session() as session:  # one family still in the massage days: a pre checklist only
        in_progress = add_family(session, world.a, now=clock.now(), age_days=2, mother=(555_001, "IbuBaru"))
    assert in_progress.pre is not None and in_progress.post is None
    await midwife.send("/analisis")
    replies = midwife.replies_since_last_action
    text_message, chart, book = replies[-3], replies[-2], replies[-1]
    assert chart.photo is not None and chart.photo.startswith(b"\x89PNG")
    assert book.filename.endswith(".xlsx")
    assert len(load_workbook(io.BytesIO(book.document)).sheetnames) >= 2

    await midwife.send("/export csv kode")
    with zipfile.ZipFile(io.BytesIO(midwife.last_reply.document)) as zf:
        path = tmp_path / "wide.csv"
        path.write_bytes(zf.read("prepost_default_v1.csv"))  # as a midwife saves it: BOM, ";", decimal comma

    # The numbers /analisis sent are the numbers the exported CSV gives...
    def labels(key, /, **params):
        return bot.runtime.content.text(f"analysis.{key}", **params)

    data = read_pairs_text(path.read_text(encoding="utf-8-sig"))
    bayi6 = scale_for(bot.runtime.content.instruments["bayi6"])  # what a CSV cannot say: derived, ordinal
    # ... the CSV holds the class keys, the chat shows the instrument's labels (the codebook's "Lancar")
    assert (data.class_labels.yes, data.class_labels.no) == ("lancar", "tidak_lancar")
    names = {c.key: c.label for c in bot.runtime.content.instruments["bayi6"].classifications}
    named = ClassLabels(yes=names[data.class_labels.yes], no=names[data.class_labels.no])
    from_csv = analyze_pairs(data.pairs, dropped=data.dropped, classes=data.classes, class_labels=named, scale=bayi6)
    assert from_csv.n == sum(1 for f in world.a_families if f.pre and f.post) and from_csv.dropped == 1
    # The phone message gives each pair's n and p: the CSV's own (the full table is in the workbook).
    from bot.flows.phone_report import _p

    assert f"(n = {from_csv.n})" in text_message.text
    assert f"p = {_p(to_json(from_csv)['conclusion']['p'])}" in text_message.text
    assert render_compact(from_csv, labels)  # and the full table renders from the CSV as well
    assert "tidak_lancar" not in text_message.text

    # ... and `python -m bot analyze` prints the same, from the CSV and straight from the database.
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["analyze", "--csv", str(path), "--json"]) == 0
    printed_csv = json.loads(capsys.readouterr().out)
    assert cli.main(["analyze", "--instrument", "bayi6", "--facility", world.a.code, "--json"]) == 0
    printed_db = json.loads(capsys.readouterr().out)
    # --instrument is the report of the one protocol version measuring with bayi6: its primary pair at the top
    assert printed_db["protocol"] == {"id": "default", "version": 1, "instrument": "bayi6"}
    printed_db = {k: v for k, v in printed_db.items() if k in printed_csv}
    db_warnings, csv_warnings = printed_db.pop("warnings"), printed_csv.pop("warnings")
    assert (printed_db["mcnemar"]["yes"], printed_db["mcnemar"]["no"]) == ("Lancar", "Tidak lancar")
    printed_csv["mcnemar"].update(yes="Lancar", no="Tidak lancar")  # the CSV's keys, the database's labels
    assert printed_db == printed_csv
    assert {w["code"] for w in db_warnings} == {w["code"] for w in csv_warnings} | {"derived_instrument"}
    assert "Belum cukup bukti" in text_message.text or "bermakna" in text_message.text
    assert "catatan" in text_message.text and "pembanding" in text_message.text  # warnings counted, the limit said
    printed_db["warnings"] = db_warnings
    assert printed_db["n"] == from_csv.n and printed_db["dropped"] == 1 and "mcnemar" in printed_db
    with db.session() as session:
        found = protocol_study.study(session, bot.runtime.content, "default", world.a.id)
        report = protocol_study.analyse_study(found)[0][1]
    assert printed_db == json.loads(json.dumps(to_json(report, labels)))

    # Every facility together: the pairs of both.
    assert cli.main(["analyze", "--instrument", "bayi6", "--json"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert both["n"] == from_csv.n + len(world.b_families)


def test_analyze_from_the_database_explains_bad_options(db, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db.url)
    content = get_content()
    assert cli.main(["analyze", "--instrument", "tidakada"]) == 2
    assert '"tidakada"' in capsys.readouterr().err
    assert cli.main(["analyze", "--instrument", "bayi6", "--facility", "ZZZ"]) == 2
    assert capsys.readouterr().err.strip() == content.text("export.cli.unknown_facility", kode="ZZZ")
    assert cli.main(["analyze", "--csv", "x.csv", "--facility", "ZZZ"]) == 2
    assert capsys.readouterr().err.strip() == content.text("export.cli.facility_needs_instrument")
    assert cli.main(["analyze", "--instrument", "bayi6"]) == 2  # an empty database: too few pairs
    assert capsys.readouterr().err.strip()


async def test_analisis_with_too_few_pairs_says_so(bot, db, clock, fake_tg):
    world = two_facilities(db, clock.now(), b_count=2)
    other = fake_tg.user(user_id=MIDWIFE_B, first_name="Maluku")
    await other.send("/analisis")
    assert other.last_reply.text == t(bot, "midwife.analysis_too_few", n=2, minimum=3, fasilitas=world.b.name,
                                      instrumen=bot.runtime.content.instruments["bayi6"].title)
    assert fake_tg.calls_to("sendPhoto") == []


def test_command_line_export_xlsx_csv_and_facility_filter(db, clock, tmp_path, monkeypatch, capsys):
    world = two_facilities(db, clock.now())
    monkeypatch.setenv("DATABASE_URL", db.url)
    out = tmp_path / "all.xlsx"
    assert cli.main(["export", "--format", "xlsx", "--out", str(out)]) == 0
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == TITLES
    codes = {r["family"] for r in sheet_rows(wb, "families")}
    assert codes == {f.code for f in world.a_families + world.b_families}
    names, _ = names_and_ids(db)
    assert not names & cells(wb)

    only_b = tmp_path / "b.zip"
    assert cli.main(["export", "--format", "csv", "--out", str(only_b), "--facility", world.b.code,
                     "--with-names", "--codes"]) == 0
    with zipfile.ZipFile(only_b) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("families.csv").decode("utf-8-sig")), delimiter=";"))
    assert {r["family"] for r in rows} == {f.code for f in world.b_families}
    assert all(r["mother_name"].startswith("IbuB") for r in rows)

    folder = tmp_path / "csv"
    capsys.readouterr()
    assert cli.main(["export", "--format", "csv", "--out", str(folder)]) == 0
    written = sorted(p.name for p in folder.iterdir())
    assert written == sorted(f"{n.replace(' ', '_')}.csv" for n in TITLES)
    printed = capsys.readouterr().out
    assert all(name in printed for name in written)  # it prints what it wrote

    assert cli.main(["export", "--out", str(tmp_path / "x.xlsx"), "--facility", "TIDAKADA"]) == 2
    # A name that says something else is refused, and nothing is made under it.
    for fmt, name in (("csv", "out.csv"), ("sav", "x.sav"), ("xlsx", "x.sav"), ("xlsx", "y.csv")):
        assert cli.main(["export", "--format", fmt, "--out", str(tmp_path / name)]) == 2
        assert not (tmp_path / name).exists()
        assert "--out" in capsys.readouterr().err
    with db.session() as session:
        logged = audit.entries(session, action="export")
        assert [(e.actor, e.facility_id, e.detail["with_names"]) for e in logged] == [
            ("cli", None, False), ("cli", world.b.id, True), ("cli", None, False)]
        assert all(e.rows > 0 for e in logged)
    capsys.readouterr()


def test_every_sheet_is_a_stream(db, clock):
    two_facilities(db, clock.now())
    with db.session() as session:
        for sheet in exporting.build_sheets(session, get_content(), None):
            assert isinstance(sheet.rows, types.GeneratorType), sheet.name
            for _ in sheet.rows:  # consume before the next sheet's query starts
                pass
