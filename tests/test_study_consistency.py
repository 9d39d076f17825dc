"""One study, one truth (issue 24): every route that reports a seed protocol says the same numbers.

On the study demo (bot/devtools/demo.py) and on a second, differently seeded study, for every seed protocol:
``analyze --protocol P --json`` (the command line), the report text the chat and the dashboard send (the shared
report function, and /analisis itself through the fake Bot API for the demo midwife's protocol), the /analisis
workbook's results sheet, and SciPy run independently on the exported CSV and on the ``.sav`` read back with
pyreadstat agree on n, Z and p of every protocol pair at the precision they print. The ``.sps`` files are parsed
for their SELECT IF filter and their pairs; the wide files' rows are the flow's research-consenting families.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from io import BytesIO

import numpy as np
import pyreadstat
import pytest
from openpyxl import load_workbook
from scipy import stats
from sqlmodel import select

from bot import cli
from bot.devtools.demo import (
    STUDY_FACILITIES,
    STUDY_MIDWIFE_PROTOCOL,
    add_family,
    add_midwife,
    seed_study_demo,
)
from bot.export import exporting, protocol_report
from bot.flows import protocol_study
from bot.flows.phone_report import _p
from content import get_content
from storage.models import Facility, Staff

MIDWIFE = 2401
PROTOCOLS = [p for p, _, _ in STUDY_FACILITIES]


def f3(value: float | None) -> str:
    """What every route prints: 3 decimals (SPSS-style rounding half away from zero)."""
    from analysis.spssformat import fmt

    return fmt(value, 3, ".", "-")


def p3(value: float | None) -> str:
    from analysis.spssformat import fmt_p

    return fmt_p(value, ".", "-")


def scipy_pair(pre: list[float], post: list[float]) -> dict:
    """Independent: SciPy's Wilcoxon with SPSS's options (or SPSS's Z = 0, p = 1 when nothing moved)."""
    d = np.round(np.asarray(post, float) - np.asarray(pre, float), 10)
    if not d.any():
        return {"n": len(d), "z": 0.0, "p": 1.0}
    res = stats.wilcoxon(d, zero_method="wilcox", correction=False, alternative="two-sided", method="asymptotic")
    return {"n": len(d), "z": float(res.zstatistic), "p": float(res.pvalue)}


def complete(rows: list[dict], pre: str, post: str) -> tuple[list[float], list[float]]:
    def number(v) -> float | None:
        if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
            return None
        return float(str(v).replace(",", "."))

    got = [(number(r[pre]), number(r[post])) for r in rows]
    kept = [(a, b) for a, b in got if a is not None and b is not None]
    return [a for a, _ in kept], [b for _, b in kept]


def seeded(db, clock, settings, seed: int, per_protocol: int):
    with db.session() as s:
        demo = seed_study_demo(s, clock.now(), settings=settings, seed=seed, families_per_protocol=per_protocol,
                               midwife_telegram_id=MIDWIFE if seed == 14 else None)
        for protocol_id, facility in demo.facilities.items():
            if protocol_id != STUDY_MIDWIFE_PROTOCOL or seed != 14:
                add_midwife(s, facility, telegram_id=MIDWIFE + 10 + len(protocol_id) + facility.id,
                            name="Bidan", now=clock.now(), coordinator=True)
        s.commit()
        return {p: (f.id, f.code, f.name) for p, f in demo.facilities.items()}


def check_every_route(db, clock, monkeypatch, capsys, tmp_path, facilities) -> dict[str, dict]:
    content = get_content()
    monkeypatch.setenv("DATABASE_URL", db.url)
    seen: dict[str, dict] = {}
    for protocol_id in PROTOCOLS:
        facility_id, code, name = facilities[protocol_id]
        capsys.readouterr()
        assert cli.main(["analyze", "--protocol", protocol_id, "--facility", code, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        pairs = data["pairs"]
        protocol = content.protocols[protocol_id]
        assert [(p["pre"], p["post"]) for p in pairs] == [(q.pre, q.post) for q in protocol_study.occasion_pairs(protocol)]

        # the shared report (chat and dashboard) and the /analisis workbook
        with db.session() as s:
            staff = s.exec(select(Staff).where(Staff.facility_id == facility_id)).first()
            made = protocol_report.protocol_report(s, content, staff, protocol_id, now=clock.now())
            text = "\n".join(made.messages)
            book = protocol_report.chart_and_book(content, made)[1] if made.primary is not None else None
            csv_zip, _ = exporting.export_bytes(s, content, facility_id, fmt="csv", dialect=exporting.CSV_PLAIN)
            sav_zip, _ = exporting.export_bytes(s, content, facility_id, fmt="sav")
        printed = re.findall(r"Wilcoxon: turun (\d+), naik (\d+), sama (\d+); Z = (\S+); Sig\. eksak (p [=<] \S+), "
                             r"asimtotik (p [=<] \S+)", text)
        tested = [p for p in pairs if "wilcoxon" in p]
        assert len(printed) == len(tested)
        for p, (neg, pos, ties, z, _, p_asym) in zip(tested, printed, strict=True):
            w = p["wilcoxon"]
            assert (int(neg), int(pos), int(ties)) == (w["negative"]["n"], w["positive"]["n"], w["ties"])
            assert z.replace(",", ".") == f3(w["z"])
            shown = p_asym.replace(",", ".").replace("p = ", "").replace("p < ", "<")
            assert shown == p3(w["p"]).lstrip("0") or shown == p3(w["p"])
        # several pairs: the multiple-testing note and a Holm p beside each p, in the JSON and in the text
        if len(tested) > 1:
            assert data["multiple_testing"]["tests"] == len(tested) and data["multiple_testing"]["note"]
            assert "Holm" in text and text.count("p Holm (disesuaikan") == len(tested)
            ps = [p["conclusion"]["p"] for p in tested]
            holm = sorted(ps)
            assert min(p["p_holm"] for p in tested) == pytest.approx(min(1.0, len(ps) * holm[0]))
        # the plain text prints the warnings
        assert "Peringatan:" in text

        if book is not None:  # the results sheet holds the primary pair's statistics
            wb = load_workbook(BytesIO(book), read_only=True)
            labels = protocol_report.labels_of(content)
            tables = wb[labels("xlsx.sheet_tables")[:31]]
            cells = {r[0]: r[1] for r in tables.iter_rows(values_only=True) if r and r[0] and len(r) > 1}
            primary = pairs[0]
            assert f3(cells[labels("wilcoxon.stat.z")]) == f3(primary["wilcoxon"]["z"])
            assert f3(cells[labels("wilcoxon.stat.p")]) == f3(primary["wilcoxon"]["p"])
            assert labels("summary.n", n=primary["n"]) in [r[0] for r in tables.iter_rows(values_only=True) if r]

        # SciPy on the exported CSV and on the .sav read back
        stem = f"{protocol_id}_v{data['protocol']['version']}"
        with zipfile.ZipFile(io.BytesIO(csv_zip)) as zf:
            csv_rows = list(csv.DictReader(io.StringIO(zf.read(f"prepost_{stem}.csv").decode("utf-8"))))
        with zipfile.ZipFile(io.BytesIO(sav_zip)) as zf:
            (tmp_path / f"{stem}.sav").write_bytes(zf.read(f"{stem}.sav"))
            sps = zf.read(f"{stem}.sps").decode("utf-8")
        frame, _ = pyreadstat.read_sav(str(tmp_path / f"{stem}.sav"))
        sav_rows = frame.to_dict("records")
        # every file counts the flow's research-consenting families (withdrawn ones as marked rows)
        assert len(csv_rows) == len(sav_rows) == data["flow"]["consented_research"]
        assert {r["participant"] for r in csv_rows} == {r["participant"] for r in sav_rows}
        for p in pairs:
            for rows in (csv_rows, sav_rows):
                pre, post = complete(rows, p["pre"], p["post"])
                assert len(pre) == p["n"], (protocol_id, p["pre"])
                if "wilcoxon" not in p:
                    continue
                ref = scipy_pair(pre, post)
                assert f3(ref["z"]) == f3(p["wilcoxon"]["z"])
                assert p3(ref["p"]) == p3(p["wilcoxon"]["p"])
                t = stats.ttest_rel(post, pre) if np.ptp(np.subtract(post, pre)) else None
                if t is not None and p["ttest"]["t"] is not None:
                    assert f3(t.statistic) == f3(p["ttest"]["t"])
        # the .sps keeps one protocol version and runs its own pairs
        assert f"SELECT IF (protocol = '{protocol_id}' AND protocol_version = {data['protocol']['version']})." in sps
        wil = re.search(r"/WILCOXON=(.+) WITH (.+) \(PAIRED\)", sps)
        assert wil is not None
        assert list(zip(wil.group(1).split(), wil.group(2).split(), strict=True)) == [(p["pre"], p["post"])
                                                                                         for p in pairs]
        assert f"T-TEST PAIRS={wil.group(1)} WITH {wil.group(2)} (PAIRED)" in sps
        better = "lebih rendah lebih baik" if not content.instruments[protocol.instrument].higher_is_better \
            else "lebih tinggi lebih baik"
        assert better in sps
        seen[protocol_id] = data
    return seen


def test_every_route_agrees_on_the_demo(db, clock, settings, monkeypatch, capsys, tmp_path):
    facilities = seeded(db, clock, settings, 14, 12)
    seen = check_every_route(db, clock, monkeypatch, capsys, tmp_path, facilities)
    assert set(seen) == set(PROTOCOLS)
    assert [p["day"] for p in seen["seed001"]["pairs"]] == [1, 2, 3]  # seed 001 is tested per day


def test_every_route_agrees_on_a_second_seeded_study(db, clock, settings, monkeypatch, capsys, tmp_path):
    facilities = seeded(db, clock, settings, 3, 20)
    seen = check_every_route(db, clock, monkeypatch, capsys, tmp_path, facilities)
    assert all(s["flow"]["analysed"] >= 3 for s in seen.values())


def test_instrument_routes_never_pool_protocols(db, clock, settings, monkeypatch, capsys):
    facilities = seeded(db, clock, settings, 14, 8)
    monkeypatch.setenv("DATABASE_URL", db.url)
    capsys.readouterr()
    # oksitosin16 is measured by seed 002 and seed 003: refused with the protocols named, never pooled
    assert cli.main(["analyze", "--instrument", "oksitosin16"]) == 2
    err = capsys.readouterr().err
    assert "seed002" in err and "seed003" in err and "tidak digabung" in err
    # skala3 is seed 001's alone: its report, the same as --protocol
    assert cli.main(["analyze", "--instrument", "skala3", "--json"]) == 0
    by_instrument = json.loads(capsys.readouterr().out)
    assert cli.main(["analyze", "--protocol", "seed001", "--json"]) == 0
    by_protocol = json.loads(capsys.readouterr().out)
    assert by_instrument == by_protocol
    assert facilities  # used


async def test_analisis_in_the_chat_prints_the_same_figures(bot, db, clock, fake_tg, monkeypatch, capsys):
    with db.session() as s:
        demo = seed_study_demo(s, clock.now(), settings=bot.settings, midwife_telegram_id=MIDWIFE)
        code = demo.facilities[STUDY_MIDWIFE_PROTOCOL].code
        facility_name = s.get(Facility, demo.facilities[STUDY_MIDWIFE_PROTOCOL].id).name
    midwife = fake_tg.user(user_id=MIDWIFE, first_name="Bidan")
    await midwife.send("/analisis")
    chat = "\n".join(m.text or "" for m in midwife.replies_since_last_action)
    monkeypatch.setenv("DATABASE_URL", db.url)
    capsys.readouterr()
    assert cli.main(["analyze", "--protocol", STUDY_MIDWIFE_PROTOCOL, "--facility", code, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # The chat's /analisis is one phone message (the full tables are in the workbook it sends): per day its n
    # and the Holm-adjusted p (three daily tests), the same figures as the JSON.
    assert data["multiple_testing"]["tests"] == 3
    for p in data["pairs"]:
        assert f"• Hari {p['day']} (n = {p['n']}):" in chat
        assert f"(p = {_p(p['p_holm'])}, Holm)" in chat
    assert f"Dianalisis {data['flow']['analysed']} dari {data['flow']['registered']}" in chat
    assert facility_name in chat
    # the /analisis instrument route never pools: skala3 is seed 001's, so it gives the same report
    await midwife.send("/analisis skala3")
    again = "\n".join(m.text or "" for m in midwife.replies_since_last_action)
    for p in data["pairs"]:
        assert f"• Hari {p['day']} (n = {p['n']}):" in again

    # oksitosin16 in a facility with families on seed 002 and seed 003: she chooses one, never both pooled
    with db.session() as s:
        facility = s.get(Facility, demo.facilities[STUDY_MIDWIFE_PROTOCOL].id)
        for k, protocol_id in enumerate(("seed002", "seed003", "seed002", "seed003")):
            add_family(s, facility, now=clock.now(), age_days=8, protocol_id=protocol_id,
                       mother=(MIDWIFE + 500 + 2 * k, "Ani"))
    await midwife.send("/analisis oksitosin16")
    choice = midwife.last_reply
    assert "tidak digabung" in choice.text
    assert choice.button_labels == ["seed002 versi 1 (2 keluarga)", "seed003 versi 1 (2 keluarga)"]
    await midwife.press("seed003 versi 1 (2 keluarga)")
    chosen = "\n".join(m.text or "" for m in midwife.replies_since_last_action)
    assert "Seed 003" in chosen and "Seed 002" not in chosen
