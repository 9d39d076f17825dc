"""The per-protocol study report as plain text messages (chat, terminal) and as the JSON contract.

JSON (``python -m bot analyze --protocol P --json``): the primary pair's statistics at the top level (as
before, for old readers), plus ``"protocol": {"id", "version", "instrument"}``, ``"flow"`` (registered,
consented_research, pre_on_time, post_on_time, analysed, excluded {reason: count}, losses, sessions),
``"pairs"`` (one per protocol pair: ``pre``, ``post``, ``day``, ``n``, ``excluded``, ``outside_window``, the
statistics and ``p_holm``), ``"frequencies"``, ``"items"``, ``"characteristics"`` (Table 1 of the consenting
families), ``"characteristics_analysed"`` (of the analysed), ``"multiple_testing"`` (``method`` holm, ``tests``,
``note`` when more than one pair was tested) and ``"adherence"``; ``flow.per_protocol`` counts the analysed
families that had every planned session.

The text (chat, terminal, the workbook's study sheet) prints, per pair, the Holm-adjusted p and every warning.

From bot/flows/study_notes.py: ``"protocol_warnings"`` (``{"code", "text"}``: self-report, blinding, a built-in
effect, a substituted instrument, massages not given by the planned performer), ``"day_norm"`` (per occasion,
the instrument's classes beside the baby's day-norm classes), ``"performers"`` (who massaged, against the plan)
and ``"vitals"`` (the health worker's check, when the protocol has one).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from analysis.caveats import caveat_text
from analysis.conclusion import PAIRED_T
from analysis.multiplicity import holm
from analysis.spssformat import fmt, fmt_number, p_phrase
from bot.flows.checklist import slot_for_label
from bot.flows.protocol_study import PairData, Study
from bot.flows.study_data import MIN_PAIRS
from bot.flows.study_items import write_item_sheet

Words = Callable[..., str]
SEP = ","


def _pct(share: float | None) -> str:
    return "-" if share is None else fmt(100 * share, 1, SEP) + "%"


def _reasons(words: Words, counts: dict[str, int]) -> str:
    return ", ".join(words("study.reason_count", alasan=_reason_word(words, r), n=n)
                     for r, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _reason_word(words: Words, reason: str) -> str:
    try:
        return words(f"study.reason.{reason}")
    except Exception:  # noqa: BLE001 - an unknown reason is shown by its code
        return reason


def holm_adjusted(reports: list) -> list[float | None]:
    """Holm-adjusted p of each pair's conclusion (the p the report concludes on), over the pairs that were
    tested; None for a pair with too few families. With one tested pair it is that pair's own p."""
    return holm([r.conclusion.p if r is not None and r.conclusion is not None else None for _, r in reports])


def tested_pairs(reports: list) -> int:
    """How many of the protocol's pairs were tested (the k of the multiple-testing note)."""
    return sum(1 for _, r in reports if r is not None and r.conclusion is not None and r.conclusion.p is not None)


def occasion_name(words: Words, study: Study, label: str) -> str:
    slot = slot_for_label(study.protocol, label)
    if slot is None:
        return label
    return words(f"study.occasion_{slot.occasion}", hari=slot.day)


def flow_lines(words: Words, study: Study) -> list[str]:
    f = study.flow
    out = [words("study.flow_title"), words("study.flow_registered", n=f.registered)]
    out.append(words("study.flow_consent", n=f.consented_research))
    if f.losses.get("consent"):
        out.append(words("study.flow_loss", alasan=_reasons(words, f.losses["consent"])))
    out.append(words("study.flow_pre", n=f.pre_on_time))
    if f.losses.get("pre"):
        out.append(words("study.flow_loss", alasan=_reasons(words, f.losses["pre"])))
    for d in f.days:
        out.append(words("study.flow_sessions", hari=d.day, sesi=d.sessions, rencana=d.planned * f.consented_research,
                         lengkap=d.families_full, menit=fmt(d.minutes, 0, SEP)))
    out.append(words("study.flow_post", n=f.post_on_time))
    if f.losses.get("post"):
        out.append(words("study.flow_loss", alasan=_reasons(words, f.losses["post"])))
    out.append(words("study.flow_analysed", n=f.analysed))
    out.append(words("study.flow_per_protocol", n=f.per_protocol, semua=f.analysed))
    if study.pairs:
        p = study.pairs[0].pair
        out.append(words("study.flow_note", pasangan=f"{occasion_name(words, study, p.pre)} – "
                                                    f"{occasion_name(words, study, p.post)}"))
    return out


def _level_rows(words: Words, data: PairData) -> list[list[str]]:
    table = data.levels
    if table is None or not table.occasions:
        return []
    before, after = table.occasions[0], table.occasions[-1]
    rows = [["", words("study.col_before"), words("study.col_after")]]
    for b, a in zip(before.levels, after.levels, strict=True):
        rows.append([b.label, words("study.level_cell", n=b.n, persen=_pct(b.share)),
                     words("study.level_cell", n=a.n, persen=_pct(a.share))])
    return rows


def _aligned(rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join([r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, len(r))]).rstrip()
            for r in rows]


def pair_lines(words: Words, study: Study, data: PairData, report, p_holm: float | None = None,
               tests: int = 1) -> list[str]:
    """One pair's block: its levels, descriptives, tests and conclusion, the Holm-adjusted p when the protocol
    tests several pairs, what was left out, and the report's warnings (every warning, in every format)."""
    n = data.scores.n
    if data.pair.day is not None:
        out = [words("study.pair_title_day", hari=data.pair.day, n=n)]
    else:
        out = [words("study.pair_title", sebelum=occasion_name(words, study, data.pair.pre),
                     sesudah=occasion_name(words, study, data.pair.post), n=n)]
    out += _aligned(_level_rows(words, data))
    if report is None:
        out.append(words("study.pair_too_few", minimum=MIN_PAIRS))
    else:
        for key, d in (("col_before", report.pre), ("col_after", report.post)):
            lo, hi = d.ci95 if d.ci95 else (None, None)
            out.append(words("study.desc_row", kapan=words(f"study.{key}"), mean=fmt(d.mean, 2, SEP),
                             sd=fmt(d.sd, 3, SEP), min=fmt_number(d.min, SEP), max=fmt_number(d.max, SEP),
                             low=fmt(lo, 2, SEP), high=fmt(hi, 2, SEP)))
        out += _test_lines(words, report)
        if tests > 1 and p_holm is not None:
            out.append(words("study.holm_row", k=tests, p=p_phrase(p_holm, SEP),
                             hasil=words("study.holm_significant" if p_holm < 0.05 else "study.holm_not_significant")))
    if data.excluded:
        out.append(words("study.pair_excluded", daftar=_reasons(words, data.excluded)))
    if data.outside_window:
        out.append(words("study.pair_outside", n=data.outside_window))
    if report is not None and report.warnings:
        from analysis.caveats import caveat_text

        labels = analysis_words(words)
        out.append(words("study.warnings_title"))
        out += [words("study.warning_item", teks=caveat_text(w, labels)) for w in report.warnings]
    return out


def analysis_words(words: Words) -> Words:
    """The analysis library's texts (``analysis.<key>``) through the same lookup."""
    def labels(key: str, /, **params: object) -> str:
        return words(f"analysis.{key}", **params)

    return labels


def _test_lines(words: Words, report) -> list[str]:
    """Both Wilcoxon p as SPSS prints them, the paired t (marked secondary for ordinal scores), and the
    conclusion on the p the rule chose (analysis/conclusion.py), with the direction in words."""
    w, c = report.wilcoxon, report.conclusion
    out = [words("study.wilcoxon_row", neg=w.negative.n, pos=w.positive.n, ties=w.ties, z=fmt(w.z, 3, SEP),
                 p_exact=p_phrase(w.p_exact, SEP), p=p_phrase(w.p, SEP))]
    tt = report.ttest.pre_minus_post()
    key = "study.ttest_row_secondary" if c is not None and c.ttest_secondary else "study.ttest_row"
    out.append(words(key, t=fmt(tt.t, 3, SEP), df=tt.df, p=p_phrase(tt.p, SEP)))
    if c is None or c.p is None:
        return out
    test = words(f"analysis.decision.test.{c.test}")
    verdict = "significant" if c.significant else "not_significant"
    kind = "two_sided" if c.test == PAIRED_T else c.p_kind  # SPSS: "Sig. (2-tailed)" for the t
    out.append(words(f"study.conclusion_{verdict}", test=test, jenis=words(f"study.p_kind.{kind}"),
                     p=p_phrase(c.p, SEP),
                     arah=words(f"analysis.decision.direction_word.{c.direction}")))
    return out


def frequency_lines(words: Words, study: Study) -> list[str]:
    out = [words("study.frequencies_title", instrumen=study.instrument.title)]
    for occ in study.levels.occasions:
        listed = ", ".join(f"{lv.label} {lv.n} ({_pct(lv.share)})" for lv in occ.levels)
        out.append(words("study.frequency_row", kapan=occasion_name(words, study, occ.occasion), n=occ.total,
                         daftar=listed))
    return out


def table1_lines(words: Words, study: Study) -> list[str]:
    """Table 1 of the consenting families with, beside each row, the analysed families' count (the sample the
    statistics describe)."""
    out = [words("study.table1_title", n=study.flow.consented_research),
           words("study.table1_columns", n=study.flow.consented_research, dianalisis=study.flow.analysed)]
    if not any(t.answered for t in study.characteristics):
        return out + [words("study.table1_none")]
    analysed = {t.variable: {r.category: r for r in t.rows} for t in study.characteristics_analysed}
    for t in study.characteristics:
        out.append(words("study.table1_variable", nama=words(f"study.variable.{t.variable}"), dijawab=t.answered,
                         kosong=t.missing))
        for r in t.rows:
            if r.n:
                a = analysed.get(t.variable, {}).get(r.category)
                out.append(words("study.table1_row_both", kategori=words(f"study.category.{r.category}"), n=r.n,
                                 persen=_pct(r.share), n_analisis=a.n if a else 0,
                                 persen_analisis=_pct(a.share if a else None)))
    return out


def _analysis_labels(words: Words) -> Words:
    return lambda key, /, **params: words(f"analysis.{key}", **params)


def notes_lines(words: Words, study: Study) -> list[str]:
    """Who massaged against the plan, both classifications of each occasion, the vital signs, the protocol's
    caveats (bot/flows/study_notes.py)."""
    notes = study.notes
    if notes is None:
        return []
    perf = notes.performers
    out = [words("study.notes_title"),
           words("study.performer_title", rencana=words(f"study.performer.{perf['planned']}"),
                 sesuai=perf["by_planned"], total=perf["sessions"])]
    for who, row in perf["by"].items():
        out.append(words("study.performer_row", siapa=words(f"study.performer.{who}"), sesi=row["sessions"],
                         keluarga=row["families"]))
    if notes.day_norm:
        out.append(words("study.day_norm_title", instrumen=study.instrument.title))
        names = {c.key: c.label for c in study.instrument.classifications}
        for row in notes.day_norm:
            kelas = ", ".join(f"{names.get(k, k)} {n}" for k, n in row["instrument"].items())
            out.append(words("study.day_norm_row", kapan=occasion_name(words, study, row["occasion"]), n=row["n"],
                             kelas=kelas, sesuai=row["day_norm"]["sesuai_hari"],
                             belum=row["day_norm"]["di_bawah_hari"]))
    if notes.vitals is not None:
        v = notes.vitals
        luar = ", ".join(f"{words(f'vitals.name.{k}')} {n}" for k, n in v["outside"].items()) \
            or words("study.vitals_none")
        out.append(words("study.vitals_line", bacaan=v["readings"], keluarga=v["families"], normal=v["normal"],
                         luar=luar, pijat=v["massages_after_normal"], menit=v["wait_minutes"]))
    labels = _analysis_labels(words)
    out.extend(words("study.caveat_line", teks=caveat_text(c, labels)) for c in notes.caveats)
    return out


def messages(words: Words, study: Study, reports: list, facility_name: str) -> list[str]:
    """The chat report: header and flow; one message per pair; the frequencies; Table 1; the protocol notes."""
    header = words("study.header", fasilitas=facility_name, judul=study.protocol.title, versi=study.version,
                   instrumen=study.instrument.title)
    tests = tested_pairs(reports)
    first = [header, "", *flow_lines(words, study)]
    if tests > 1:
        first += ["", words("analysis.warnings.multiple_testing", k=tests)]
    out = ["\n".join(first)]
    for (data, report), p_holm in zip(reports, holm_adjusted(reports), strict=True):
        out.append("\n".join(pair_lines(words, study, data, report, p_holm, tests)))
    out.append("\n".join(frequency_lines(words, study)))
    out.append("\n".join([*table1_lines(words, study), "", words("study.cannot_show")]))
    notes = notes_lines(words, study)
    if notes:
        out.append("\n".join(notes))
    return out


def render_text(words: Words, study: Study, reports: list, facility_name: str) -> str:
    return "\n\n".join(messages(words, study, reports, facility_name)) + "\n"


# -- JSON ------------------------------------------------------------------------------------------

def _stats(data: PairData, report, labels) -> dict:
    """The per-analysis dict (analysis.jsonout.to_json), or just n and dropped with too few pairs."""
    from analysis.jsonout import to_json

    if report is None:
        return {"n": data.scores.n, "dropped": len(data.scores.incomplete)}
    return to_json(report, labels) if labels is not None else to_json(report)


def _pair_json(data: PairData, report, labels) -> dict:
    """One protocol pair. "pre"/"post" name the occasions (the contract); their descriptives move to
    "pre_descriptives"/"post_descriptives"."""
    stats = _stats(data, report, labels)
    for key in ("pre", "post"):
        if key in stats:
            stats[f"{key}_descriptives"] = stats.pop(key)
    return {"pre": data.pair.pre, "post": data.pair.post, "day": data.pair.day, **stats,
            "excluded": dict(data.excluded), "outside_window": data.outside_window,
            "levels": _levels_json(data.levels)}


def _levels_json(table) -> list[dict]:
    if table is None:
        return []
    return [{"occasion": o.occasion, "n": o.total, "missing": o.missing,
             "levels": [{"key": lv.key, "label": lv.label, "n": lv.n, "share": lv.share} for lv in o.levels]}
            for o in table.occasions]


def _table1_json(tables) -> list[dict]:
    return [{"variable": t.variable, "answered": t.answered, "missing": t.missing,
             "rows": [{"category": r.category, "n": r.n, "share": r.share} for r in t.rows]} for t in tables]


def to_json(study: Study, reports: list, labels=None) -> dict:
    """Adds to each pair ``p_holm`` (Holm-adjusted over the protocol's tested pairs), and at the top
    ``multiple_testing`` ({method, tests, note}), ``characteristics_analysed`` (Table 1 of the analysed)."""
    pairs = [_pair_json(d, r, labels) for d, r in reports]
    tests = tested_pairs(reports)
    for pair, p_holm in zip(pairs, holm_adjusted(reports), strict=True):
        pair["p_holm"] = p_holm
    out: dict = _stats(*reports[0], labels) if reports else {"n": 0}  # the primary pair, as before
    out.update({
        "protocol": {"id": study.protocol.id, "version": study.version, "instrument": study.instrument.id},
        "flow": study.flow.as_json(),
        "pairs": pairs,
        "frequencies": _levels_json(study.levels),
        "items": [{"item": i.item_id, "occasion": i.occasion, "n": i.total,
                   "counts": [{"score": v, "n": n, "share": sh} for v, n, sh in i.counts]} for i in study.items],
        "characteristics": _table1_json(study.characteristics),
        "characteristics_analysed": _table1_json(study.characteristics_analysed),
        "multiple_testing": {"method": "holm", "tests": tests,
                             "note": (labels("warnings.multiple_testing", k=tests) if labels is not None
                                      else "multiple_testing") if tests > 1 else None},
        "adherence": [{"family": a.code, "full_days": a.full_days, "planned_per_day": a.planned,
                       "days": [{"day": d, "sessions": n, "minutes": m} for d, n, m in a.per_day]}
                      for a in study.adherence],
    })
    out.update(notes_json(study, labels))
    return out


def notes_json(study: Study, labels=None) -> dict:
    """The protocol notes (bot/flows/study_notes.py) as JSON keys; nothing when the study has none."""
    notes = study.notes
    if notes is None:
        return {}
    return {
        "protocol_warnings": [{"code": c.code, "text": caveat_text(c, labels) if labels else c.code}
                              for c in notes.caveats],
        "day_norm": notes.day_norm,
        "performers": notes.performers,
        "vitals": notes.vitals,
    }


def dumps(study: Study, reports: list, labels=None) -> str:
    return json.dumps(to_json(study, reports, labels), ensure_ascii=False, allow_nan=False)


# -- workbook ---------------------------------------------------------------------------------------

def add_study_sheets(path, words: Words, study: Study, reports: list, facility_name: str) -> None:
    """Put the study report first in the /analisis workbook: a sheet with the flow, the pairs, the frequencies
    and Table 1 (as in the chat), an adherence sheet (sessions per family per day against the plan) and the
    per-item frequencies (bot/flows/study_items.py)."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    sheet = wb.create_sheet(words("study.sheet_report")[:31], 0)
    for message in messages(words, study, reports, facility_name):
        for line in message.split("\n"):
            sheet.append([line])
        sheet.append([])
    sheet.column_dimensions["A"].width = 100
    adherence = wb.create_sheet(words("study.sheet_adherence")[:31], 1)
    days = list(study.protocol.days)
    adherence.append([words("study.col_family"), *(words("study.col_day", hari=d) for d in days),
                      *(words("study.col_minutes", hari=d) for d in days), words("study.col_full_days")])
    for row in study.adherence:
        adherence.append([row.code, *(n for _, n, _ in row.per_day), *(m for _, _, m in row.per_day),
                          row.full_days])
    adherence.append([words("study.col_plan", n=study.protocol.sessions_per_day)])

    write_item_sheet(wb.create_sheet(words("study.sheet_items")[:31], 2), words, study,
                     lambda label: occasion_name(words, study, label))
    wb.active = 0
    wb.save(path)
