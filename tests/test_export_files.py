"""The files a midwife opens (issue 15): the SPSS .sav and .sps, the CSV dialects, the workbook's looks and
the codebook. Read back with the libraries SPSS users and scripts use: pyreadstat, csv, openpyxl."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime

import pyreadstat
from openpyxl import load_workbook

from analysis import analyze_pairs, read_pairs_text
from bot import cli
from bot.export import csv_files, exporting, xlsx
from bot.export import schema as export_schema
from content import get_content
from storage import audit
from tests.test_midwife_support import two_facilities

SPSS_COMMANDS = {"GET", "DATASET", "SELECT", "EXAMINE", "NPAR", "T-TEST", "EXECUTE"}


def spss_commands(text: str) -> list[str]:
    """The syntax's commands (comments dropped), each one ending with a period as SPSS requires."""
    commands, current = [], []
    for line in text.splitlines():
        if not line.strip():
            assert not current, f"blank line inside a command: {current}"
            continue
        if not current and line.startswith("*"):
            assert line.rstrip().endswith("."), f"comment not ended with a period: {line}"
            continue
        current.append(line.strip())
        if line.rstrip().endswith("."):
            commands.append(" ".join(current))
            current = []
    assert not current, f"unterminated command: {current}"
    return commands


def variables_used(command: str) -> set[str]:
    names: set[str] = set()
    for clause in re.findall(r"(?:VARIABLES|WILCOXON|PAIRS|MCNEMAR)=([^/]*)", command):
        clause = clause.replace("(PAIRED)", "").rstrip(".")
        names |= {w for w in clause.split() if w != "WITH"}
    return names


def export_cli(db, monkeypatch, tmp_path, *args) -> None:
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["export", *args]) == 0


def test_sav_has_labels_levels_and_one_row_per_family_and_the_sps_runs_its_tests(db, clock, tmp_path,
                                                                                monkeypatch, capsys):
    world = two_facilities(db, clock.now(), a_extra=6)
    out = tmp_path / "spss.zip"
    export_cli(db, monkeypatch, tmp_path, "--format", "sav", "--out", str(out), "--facility", world.a.code)
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["default_v1.sav", "default_v1.sps", "dictionary.csv"]
        zf.extractall(tmp_path / "spss")
    frame, meta = pyreadstat.read_sav(str(tmp_path / "spss" / "default_v1.sav"))
    content = get_content()
    bayi6 = content.instruments["bayi6"]
    # wide: one row per family that has a checklist, pre and post side by side
    assert len(frame) == len(world.a_families)
    assert frame["participant"].is_unique
    assert {"pre", "post", "diff", "pre_window", "post_outside", "withdrawn", "pre_class", "post_class", "pre_bak_frekuensi", "post_tidur_jam"} <= set(frame)
    labels = meta.column_names_to_labels
    assert labels["pre"].startswith("Skor sebelum") and labels["post"].startswith("Skor sesudah")
    assert "pipis" in labels["pre_bak_frekuensi"]
    classes = {c.label for c in bayi6.classifications}
    assert set(meta.variable_value_labels["pre_class"].values()) == classes
    by_score: dict[float, list[str]] = {}
    for ch in bayi6.item("bak_warna").choices:
        by_score.setdefault(float(ch.score), []).append(ch.label)
    assert meta.variable_value_labels["pre_bak_warna"] == {k: " / ".join(v) for k, v in by_score.items()}
    assert meta.variable_measure["pre"] == "ordinal" and meta.variable_measure["pre_class"] == "nominal"
    assert meta.variable_measure["diff"] == "scale"
    mine = frame[frame["participant"] == world.mothers_family.code].iloc[0]
    assert (mine["pre"], mine["post"]) == (world.mothers_family.pre[0], world.mothers_family.post[0])
    code = {v: k for k, v in meta.variable_value_labels["pre_class"].items()}
    label = {c.key: c.label for c in bayi6.classifications}[world.mothers_family.pre[1]]
    assert mine["pre_class"] == code[label]

    syntax = (tmp_path / "spss" / "default_v1.sps").read_text(encoding="utf-8")
    commands = spss_commands(syntax)
    assert {c.split()[0].rstrip(".") for c in commands} <= SPSS_COMMANDS
    assert commands[0] == "GET FILE='default_v1.sav'."
    assert "SELECT IF (protocol = 'default' AND protocol_version = 1)." in commands  # one protocol version
    for command in commands:
        assert variables_used(command) <= set(frame), command
    joined = "\n".join(commands)
    assert "/WILCOXON=pre WITH post (PAIRED)" in joined
    assert "T-TEST PAIRS=pre WITH post (PAIRED)" in joined
    assert "/MCNEMAR=pre_class WITH post_class (PAIRED)" in joined  # bayi6 has two classes
    assert "ordinal" in syntax  # the paired t is labelled a secondary figure

    # the numbers SPSS would read give the report's pairs
    complete = frame.dropna(subset=["pre", "post"])
    report = analyze_pairs([(r.participant, r.pre, r.post) for r in complete.itertuples()])
    assert report.n == sum(1 for f in world.a_families if f.pre and f.post)
    with db.session() as session:
        assert audit.entries(session, action="export")[0].detail["format"] == "sav"
    capsys.readouterr()


def test_csv_dialects_round_trip_through_the_csv_module(db, clock, tmp_path, monkeypatch, capsys):
    two_facilities(db, clock.now())
    excel, plain = tmp_path / "excel.zip", tmp_path / "plain.zip"
    export_cli(db, monkeypatch, tmp_path, "--format", "csv", "--out", str(excel), "--codes")
    export_cli(db, monkeypatch, tmp_path, "--format", "csv", "--out", str(plain), "--csv-dialect", "plain", "--codes")
    with zipfile.ZipFile(excel) as ze, zipfile.ZipFile(plain) as zp:
        assert ze.namelist() == zp.namelist()
        for name in ze.namelist():
            e_raw, p_raw = ze.read(name), zp.read(name)
            assert e_raw.startswith(b"\xef\xbb\xbf") and not p_raw.startswith(b"\xef\xbb\xbf")
            e_rows = list(csv.reader(io.StringIO(e_raw.decode("utf-8-sig"), newline=""), delimiter=";"))
            p_rows = list(csv.reader(io.StringIO(p_raw.decode("utf-8"), newline="")))
            assert len(e_rows) == len(p_rows) > 0, name
            assert e_rows[0] == p_rows[0] and all(re.fullmatch(r"[a-z0-9_]+", h) for h in e_rows[0])  # snake_case
            for e, p in zip(e_rows, p_rows, strict=True):
                assert [v.replace(",", ".") if re.fullmatch(r"-?\d+,\d+", v) else v for v in e] == p
            assert not any(re.fullmatch(r"-?\d+\.0", v) for row in e_rows for v in row), name  # no "3.0"
        wide = ze.read("prepost_default_v1.csv").decode("utf-8-sig")
    data = read_pairs_text(wide)  # analyze --csv reads the Excel dialect as it is
    assert data.pairs and data.class_labels.yes == "lancar"
    capsys.readouterr()


def test_decimal_commas_and_separators_inside_cells_survive(tmp_path):
    columns = ["a", "b", "when"]
    specs = [export_schema.Column("a", export_schema.NUMBER), export_schema.Column("b"),
             export_schema.Column("when", export_schema.DATETIME)]
    rows = [(1.5, 'x;y, "z"', datetime(2026, 11, 20, 7, 5)), (3.0, None, None), (-0.25, "baris\nbaru", None)]
    for dialect, delimiter, decimal in (("excel", ";", "1,5"), ("plain", ",", "1.5")):
        sheet = exporting.Sheet("t", columns, iter(rows), specs=specs)
        buffer = io.BytesIO()
        assert csv_files._write_csv(sheet, buffer, dialect) == 3
        text = buffer.getvalue().decode("utf-8-sig")
        back = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        assert back == [columns, [decimal, 'x;y, "z"', "2026-11-20 07:05:00"], ["3", "", ""],
                        [decimal.replace("1", "-0").replace("5", "25"), "baris\nbaru", ""]]


def test_workbook_has_bold_frozen_headers_widths_labels_and_excel_dates(db, clock, tmp_path, monkeypatch, capsys):
    world = two_facilities(db, clock.now())
    out = tmp_path / "book.xlsx"
    export_cli(db, monkeypatch, tmp_path, "--format", "xlsx", "--out", str(out))
    wb = load_workbook(out)
    content = get_content()
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws["A1"].font.b, ws.title
        assert ws.column_dimensions["A"].width >= 8, ws.title
    members = wb["Anggota keluarga"]
    header = [c.value for c in members[1]]
    assert header[:3] == [content.text("export.headers.family"), content.text("export.headers.member"),
                          content.text("export.headers.role")]
    assert {members.cell(r, 3).value for r in range(2, members.max_row + 1)} == {"Ibu", "Suami"}
    joined = members.cell(2, header.index(content.text("export.headers.joined_at")) + 1)
    assert joined.is_date and isinstance(joined.value, datetime)
    families = wb["Keluarga"]
    heads = [c.value for c in families[1]]
    birth = families.cell(2, heads.index(content.text("export.headers.birth_date")) + 1)
    assert birth.is_date and birth.number_format == "yyyy-mm-dd"
    # registration times are Excel dates (the family's local wall time)
    registered = {families.cell(r, 1).value: families.cell(r, heads.index(content.text(
        "export.headers.registered_at")) + 1).value for r in range(2, families.max_row + 1)}
    a_code, b_code = world.a_families[0].code, world.b_families[0].code
    assert isinstance(registered[a_code], datetime) and isinstance(registered[b_code], datetime)
    capsys.readouterr()


def test_codebook_explains_every_variable_with_values_and_scoring(db, clock):
    two_facilities(db, clock.now())
    content = get_content()
    with db.session() as session:
        sheets = []
        book = None
        for sheet in exporting.build_sheets(session, content, None):
            rows = list(sheet.rows)
            if sheet.name == exporting.DICTIONARY:
                book = [dict(zip(sheet.columns, r, strict=True)) for r in rows]
            else:
                sheets.append(sheet)
    assert book is not None
    entries = {(d["sheet"], d["column"]): d for d in book if d["column"]}
    for sheet in sheets:
        for column in sheet.columns:
            d = entries[(sheet.title, column)]
            assert d["header"] and d["description"] and d["type"] and d["measure"] and d["origin"], (sheet.name, column)
            assert d["belongs_to"]
    role = entries[("Anggota keluarga", "role")]
    assert role["allowed_values"] == ("1 = Ibu (mother); 2 = Suami (husband); 3 = Pendamping (companion); "
                                      "4 = Petugas kesehatan (health_worker)")
    assert entries[("Keluarga", "reminders_paused")]["allowed_values"] == "1 = Ya; 0 = Tidak"
    assert entries[("Sesi pijat", "status")]["allowed_values"].startswith("1 = Selesai dipandu (completed)")


def test_a_new_labelled_column_is_one_declaration(monkeypatch):
    """What issue 14 does to add a column: declare it once; the workbook, CSV, SPSS and codebook follow."""
    content = get_content()
    monkeypatch.setitem(export_schema.COLUMNS, "window_status",
                        export_schema.Column("window_status", export_schema.CODE, values="occasion"))
    spec = export_schema.column("families", "window_status")
    assert spec.kind == export_schema.CODE
    sheet = exporting.dress(exporting.Sheet("families", ["family", "window_status"], iter([("K1", "pre")])), content)
    assert sheet.value_labels[1] == {"pre": "Sebelum pijat", "post": "Sesudah pijat"}
    buffer = io.BytesIO()
    exporting.write_xlsx([sheet], buffer)
    ws = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    assert ws.cell(2, 2).value == "Sebelum pijat"


async def test_export_spss_from_the_chat_sends_the_sav_and_sps(bot, db, clock, midwife):
    world = two_facilities(db, clock.now())
    await midwife.send("/export spss")
    reply = midwife.last_reply
    assert reply.filename.endswith(".spss.zip") and world.a.code in reply.filename
    with zipfile.ZipFile(io.BytesIO(reply.document)) as zf:
        assert {"default_v1.sav", "default_v1.sps", "dictionary.csv"} == set(zf.namelist())
    await midwife.send("/export spss nama")  # names never go into the SPSS files
    with zipfile.ZipFile(io.BytesIO(midwife.last_reply.document)) as zf:
        assert "Siti" not in zf.read("default_v1.sav").decode("latin-1")
    with db.session() as session:
        logged = audit.entries(session, action="export")
        assert [e.detail["format"] for e in logged] == ["sav", "sav"]
        assert all(e.detail["with_names"] is False for e in logged)


def _sheet_xml(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/") or n == "xl/styles.xml"}


def test_fast_rows_write_exactly_what_xlsxwriter_writes(db, clock):
    """bot/export/xlsx_rows.py only speeds XlsxWriter's row loop: the sheets' XML is the same byte for byte."""
    two_facilities(db, clock.now())
    content = get_content()
    extra = exporting.dress(exporting.Sheet("t", ["a", "b", "c", "d"], iter([
        (" spaces ", "a & b < c > d", "ctl\x01char _x0041_ text", 2.5),
        (None, True, datetime(2026, 11, 20, 7, 5, 30), float("nan")),
    ]), specs=[export_schema.Column("a"), export_schema.Column("b", export_schema.FLAG, values="yesno"),
               export_schema.Column("c", export_schema.DATETIME), export_schema.Column("d", export_schema.NUMBER)]),
        content)
    books = []
    for fast in (True, False):
        with db.session() as session:
            sheets = [*exporting.build_sheets(session, content, None)]
            buffer = io.BytesIO()
            rows = [list(s.rows) for s in sheets]
            for sheet, kept in zip(sheets, rows, strict=True):
                sheet.rows = iter(kept)
            extra.rows = iter(list(extra.rows) if fast else [
                (" spaces ", "a & b < c > d", "ctl\x01char _x0041_ text", 2.5),
                (None, True, datetime(2026, 11, 20, 7, 5, 30), float("nan"))])
            exporting.write_xlsx([*sheets, extra], buffer, fast=fast)
            books.append(_sheet_xml(buffer.getvalue()))
    assert books[0].keys() == books[1].keys() and len(books[0]) == 10  # 8 sheets with "questions", the extra one, styles
    for name in books[0]:
        assert books[0][name] == books[1][name], name


def test_a_sheet_longer_than_excel_allows_goes_on_in_a_second_tab(monkeypatch):
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 4)
    content = get_content()
    sheet = exporting.dress(exporting.Sheet("answers", ["family", "score"], iter([(f"K{i}", i) for i in range(7)])),
                            content)
    buffer = io.BytesIO()
    assert exporting.write_xlsx([sheet], buffer) == {"answers": 7}
    wb = load_workbook(io.BytesIO(buffer.getvalue()))
    assert wb.sheetnames == ["Jawaban ceklis", "Jawaban ceklis (2)", "Jawaban ceklis (3)"]
    values = [row for ws in wb.worksheets for row in ws.iter_rows(min_row=2, values_only=True)]
    assert values == [(f"K{i}", i) for i in range(7)]
    assert all(ws["A1"].value == content.text("export.headers.family") for ws in wb.worksheets)


def test_every_workbook_header_is_indonesian_and_answers_read_as_the_family_saw_them(db, clock, tmp_path,
                                                                                      monkeypatch, capsys):
    """Issue 15: no sheet shows a machine id as its header, and the answers sheet shows each item's question
    and each answer's words ("bercak_oranye" stays in the CSV and the codebook), and the window in words."""
    from bot.devtools.demo import seed_study_demo

    with db.session() as s:
        seed_study_demo(s, clock.now(), families_per_protocol=4)
    out = tmp_path / "book.xlsx"
    export_cli(db, monkeypatch, tmp_path, "--format", "xlsx", "--out", str(out))
    wb = load_workbook(out, read_only=True)
    content = get_content()
    for ws in wb.worksheets:
        header = next(ws.iter_rows(values_only=True, max_row=1))
        machine = [h for h in header if h and re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", str(h))]
        assert machine == [], (ws.title, machine)
    rows = list(wb["Jawaban ceklis"].iter_rows(values_only=True))
    head = rows[0]
    items = {r[head.index(content.text("export.headers.item"))] for r in rows[1:]}
    answers = {r[head.index(content.text("export.headers.raw_value"))] for r in rows[1:]}
    windows = {r[head.index(content.text("export.headers.window"))] for r in rows[1:]}
    bayi6 = content.instruments["bayi6"]
    assert bayi6.item("bak_warna").text in items and "bak_warna" not in items
    codes = {str(c.value) for inst in content.instruments.values() for i in inst.items if i.answer_type == "choice"
             for c in i.choices}
    assert not (answers & codes), answers & codes
    assert {"ya", "tidak"}.isdisjoint(answers)
    assert content.text("export.values.window.on_time") in windows and "on_time" not in windows
    capsys.readouterr()
