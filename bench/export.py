"""4. Export and analysis: the midwife's study data at the scale of a large facility.

Families of one facility (9 in 10 on the oksitosin16 protocol, 1 in 10 on the default bayi6 one), each with a
mother and a husband, six massage sessions and a completed pre and post checklist: about 30 answers per family
(10,000 families ≈ 300,000 answers). Each export runs in a fresh process (``python -m bench.export child``)
through the same code as ``python -m bot export`` (bot/export/exporting.py over storage/exports.py), so its peak
memory can be read alone: the resident-memory high-water mark minus what the process held just before. Two
sizes show whether memory grows with the rows.

The analysis is what /analisis computes for the facility: the paired pre/post scores read from the database,
the statistics (descriptives, Shapiro-Wilk, Wilcoxon or paired t, McNemar) and the compact text; drawing the
chart and writing the small workbook are timed apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import seed
from bench.common import Report, database, peak_rss_mb, reset_peak_rss, rss_mb, section
from bench.fakeproc import _repo_root

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


def seed_study(url: str, n: int) -> int:
    """``n`` families of facility BENCH with their study data; returns the answers written."""
    from content import get_content
    from storage.db import Database

    content = get_content()
    db = Database(url)
    db.upgrade()
    facility_id = seed.facility(db, START)
    rng = random.Random(11)
    answers = 0
    step = 2000
    for lo in range(0, n, step):
        count = min(step, n - lo)
        n_bayi = count // 10
        for protocol, k, prefix in (("default", n_bayi, "D"), ("seed002", count - n_bayi, "O")):
            if k == 0:
                continue
            instrument = content.instruments[content.protocols[protocol].instrument]
            fams = seed.families(db, k, now=START, protocol_id=protocol, birth_date=START.date(),
                                 telegram_base=30_000_000 + 4 * (lo + (0 if prefix == "D" else n_bayi)),
                                 facility_id=facility_id, code_prefix=f"{prefix}{lo // step:02d}")
            post_day = 4
            answers += seed.completed_with_answers(db, fams, instrument, [("pre", 1), ("post", post_day)],
                                                   START, rng)
            seed.massage_sessions(db, fams, days=(1, 2, 3), per_day=2, start=START)
    seed.analyze(db)
    db.dispose()
    return answers


# -- the child process -------------------------------------------------------------------------------------

def _child(args: argparse.Namespace) -> dict:
    from bot.export import exporting
    from content import get_content
    from storage import exports
    from storage.db import Database

    content = get_content()
    db = Database(args.url)
    with db.session() as s:  # connect and warm up before the baseline
        exports.count_families(s, None)
    baseline = rss_mb()
    reset = reset_peak_rss()
    start = time.perf_counter()
    with db.session() as session:
        sheets = exporting.build_sheets(session, content, None)
        if args.fmt == "xlsx":
            counts = exporting.write_xlsx(sheets, args.out)
        else:
            counts = exporting.write_csv_zip(sheets, args.out)
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    db.dispose()
    return {"seconds": seconds, "baseline_mb": baseline, "peak_mb": peak, "peak_reset": reset,
            "rows": exporting.data_rows(counts), "bytes": os.path.getsize(args.out)}


def _analysis_child(args: argparse.Namespace) -> dict:
    from analysis import draw_chart, render_compact, write_xlsx
    from bot.flows import study_data
    from content import get_content
    from storage.db import Database

    content = get_content()
    db = Database(args.url)
    instrument = content.instruments["oksitosin16"]

    def labels(key: str, /, **params: object) -> str:
        return content.text(f"analysis.{key}", **params)

    with db.session() as s:  # connect first
        study_data.facility_instrument(s, content, None)
    start = time.perf_counter()
    with db.session() as session:
        scores = study_data.paired_scores(session, instrument, None)
    read = time.perf_counter()
    report = study_data.analyse(scores)
    text = render_compact(report, labels)
    computed = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        draw_chart(report, Path(tmp) / "grafik.png", labels)
        drawn = time.perf_counter()
        write_xlsx(report, Path(tmp) / "analisis.xlsx", labels)
        booked = time.perf_counter()
    db.dispose()
    return {"pairs": scores.n, "read": read - start, "stats": computed - read, "chart": drawn - computed,
            "book": booked - drawn, "chars": len(text)}


async def _spawn(*args: str) -> dict:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.export", *args,
                                                stdout=asyncio.subprocess.PIPE, cwd=_repo_root())
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"export child failed ({proc.returncode})")
    return json.loads(out.decode().strip().splitlines()[-1])


async def run(report: Report, *, quick: bool, pg_base: str | None) -> None:
    section("4. Export and analysis (each export in a fresh process; memory = peak minus the process before)")
    kinds = [("sqlite", "SQLite")] + ([("postgres", "PostgreSQL")] if pg_base else [])
    for kind, name in kinds:
        # PostgreSQL at smaller sizes in the full run: it checks that memory stays flat there too (server-side
        # cursors), and seeding 10,000 families twice more would not fit the run's ten minutes.
        sizes = (200, 800) if quick else ((2500, 10_000) if kind == "sqlite" else (1000, 4000))
        results: dict[tuple[int, str], dict] = {}
        analysis: dict = {}
        for n in sizes:
            with database(kind, pg_base, "export") as url:
                t = time.perf_counter()
                answers = seed_study(url, n)
                print(f"    {name}: seeded {n:,} families, {answers:,} answers in {time.perf_counter() - t:.0f} s",
                      flush=True)
                with tempfile.TemporaryDirectory() as tmp:
                    for fmt in ("csv", "xlsx"):
                        out = Path(tmp) / f"export.{'zip' if fmt == 'csv' else 'xlsx'}"
                        r = await _spawn("child", "--url", url, "--fmt", fmt, "--out", str(out))
                        results[(n, fmt)] = r
                        print(f"    {name}, {n:,} families, {fmt}: {r['rows']:,} rows in {r['seconds']:.1f} s, "
                              f"{r['bytes'] / 1e6:.1f} MB file; memory {r['baseline_mb']:.0f} MB before, peak "
                              f"{r['peak_mb']:.0f} MB (+{r['peak_mb'] - r['baseline_mb']:.0f} MB)"
                              + ("" if r["peak_reset"] else " [peak not resettable: includes start-up]"),
                              flush=True)
                if n == sizes[-1]:
                    analysis = await _spawn("analysis", "--url", url)
        big, small = sizes[-1], sizes[0]
        for fmt, label, limit in (("csv", "CSV", 3.0), ("xlsx", "XLSX", 20.0)):
            r = results[(big, fmt)]
            report.add("export", f"{label} export, {big:,} families ({r['rows']:,} rows), {name}", r["seconds"], "s",
                       target=f"< {limit:g} s", met=r["seconds"] < limit)
            growth = [results[(n, fmt)]["peak_mb"] - results[(n, fmt)]["baseline_mb"] for n in sizes]
            flat = growth[1] <= max(growth[0] * 1.5, growth[0] + 15)
            report.add("export", f"{label} export peak memory, {small:,} → {big:,} families, {name}", growth[1], "MB",
                       target="flat in rows", met=flat, text=f"+{growth[0]:.0f} → +{growth[1]:.0f} MB")
        stats = analysis["read"] + analysis["stats"]
        report.add("export", f"analysis of {analysis['pairs']:,} pre/post pairs (read + statistics), {name}", stats, "s",
                   target="< 1 s", met=stats < 1.0,
                   note=f"read {analysis['read']:.2f} s, statistics {analysis['stats']:.2f} s; chart "
                        f"{analysis['chart']:.2f} s and workbook {analysis['book']:.2f} s more")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.export")
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("child")
    c.add_argument("--url", required=True)
    c.add_argument("--fmt", choices=("csv", "xlsx"), required=True)
    c.add_argument("--out", required=True)
    a = sub.add_parser("analysis")
    a.add_argument("--url", required=True)
    args = parser.parse_args(argv)
    result = _child(args) if args.cmd == "child" else _analysis_child(args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
