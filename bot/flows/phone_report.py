"""The study report of one protocol as one short message for a phone (/analisis), built from the report's
structured data (bot/flows/study_report.to_json), so the numbers are the report's own.

Per pair: its day (seed 001) or occasions, n, before → after in words (the share of the best level, or the
median for a scale without levels), the conclusion with its p, and how many warnings; then what the report
cannot show. No table, nothing hard-wrapped: Telegram wraps the lines to the bubble. The full report is the
workbook and the dashboard's analysis tab.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

Words = Callable[..., str]
LIMIT = 700
ALPHA = 0.05


def _num(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "-"
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"
    return text.replace(".", ",")


def _p(p: float | None) -> str:
    if p is None:
        return "-"
    return "< 0,001" if p < 0.001 else f"{p:.3f}".replace(".", ",")


def _levels(pair: Mapping, occasion: str) -> tuple[str, int, int] | None:
    """(best level's label, its count, n) at one occasion, when the instrument has levels."""
    for entry in pair.get("levels") or []:
        if entry.get("occasion") == occasion and entry.get("levels"):
            best = entry["levels"][0]
            return best["label"], int(best["n"]), int(entry["n"])
    return None


def pair_line(words: Words, pair: Mapping, *, tests: int = 1) -> str:
    """One pair in words: "Hari 1 (n = 8): Lancar 3 dari 8 → 1 dari 8; belum cukup bukti (p = 1,000); 2 catatan"."""
    when = words("desk.phone_day", hari=pair["day"]) if pair.get("day") else words("desk.phone_pair")
    n = pair.get("n", 0)
    before, after = _levels(pair, pair["pre"]), _levels(pair, pair["post"])
    if before and after and before[0] == after[0]:
        change = words("desk.phone_levels", tingkat=before[0], sebelum=before[1], sesudah=after[1], n=n)
    elif pair.get("pre_descriptives") and pair.get("post_descriptives"):
        change = words("desk.phone_median", sebelum=_num(pair["pre_descriptives"].get("median")),
                       sesudah=_num(pair["post_descriptives"].get("median")))
    else:
        change = ""
    conclusion = pair.get("conclusion")
    # With several pairs the decision is on the Holm-adjusted p (the report's multiple-testing note), never
    # on a raw p that only looks significant because the protocol tests several times.
    holm = pair.get("p_holm") if tests > 1 else None
    p_used = holm if holm is not None else (conclusion or {}).get("p")
    shown = words("desk.phone_p_holm", p=_p(holm)) if holm is not None else _p(p_used)
    if not conclusion:
        verdict = words("desk.phone_too_few")
    elif conclusion.get("significant") and p_used is not None and p_used < ALPHA:
        verdict = words(f"desk.phone_significant_{conclusion.get('direction') or 'unchanged'}", p=shown)
    else:
        verdict = words("desk.phone_not_significant", p=shown)
    warnings = len(pair.get("warnings") or [])
    parts = [words("desk.phone_pair_head", waktu=when, n=n)]
    parts += [change] if change else []
    parts.append(verdict)
    if warnings:
        parts.append(words("desk.phone_warnings", jumlah=warnings))
    return " ".join(parts)


def phone_summary(words: Words, report: Mapping, *, facility: str, protocol: str) -> str:
    """The whole protocol in one message of at most about LIMIT characters."""
    flow = report.get("flow") or {}
    lines = [words("desk.phone_header", protokol=protocol, fasilitas=facility),
             words("desk.phone_flow", dianalisis=flow.get("analysed", 0), terdaftar=flow.get("registered", 0))]
    tests = int((report.get("multiple_testing") or {}).get("tests") or 1)
    lines += [pair_line(words, pair, tests=tests) for pair in report.get("pairs") or []]
    tail = [words("desk.phone_more"), words("desk.phone_cannot_show")]
    text = "\n".join(lines + tail)
    while len(text) > LIMIT and len(lines) > 2:  # a protocol with many pairs: the last ones go to the workbook
        lines.pop()
        text = "\n".join(lines + [words("desk.phone_cut")] + tail)
    return text
