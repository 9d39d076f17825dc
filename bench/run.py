"""Run every benchmark: ``python -m bench`` (or ``python bench/run.py``); ``--quick`` takes about a minute.

    python -m bench                      the full run (about 10 minutes on 2 cores)
    python -m bench --quick              fewer rows and updates, same figures
    python -m bench --only dispatch,export
    python -m bench --no-postgres        SQLite only
    python -m bench --json               also write bench/results/<date>-<time>.json

PostgreSQL: ``--postgres URL`` or ``BENCH_POSTGRES_URL`` (default the local test database
postgresql+psycopg://postgres@127.0.0.1:5432/test); every benchmark works in a schema of its own, dropped
afterwards. Benchmarks are run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # python bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CORES, DEFAULT_PG, TODAY, Report, postgres_available  # noqa: E402

SECTIONS = ("updates", "engine", "dispatch", "schedule", "export", "memory", "national")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (about a minute)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG), metavar="URL")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL figures")
    parser.add_argument("--json", action="store_true", help="write the figures to bench/results/")
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> Report:
    report = Report(quick=args.quick)
    pg = None if args.no_postgres else args.postgres
    if pg and not postgres_available(pg):
        print(f"PostgreSQL at {pg} is not reachable: PostgreSQL figures are skipped", flush=True)
        pg = None
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s): {', '.join(sorted(unknown))}")
    for name in SECTIONS:
        if name in wanted:
            module = importlib.import_module(f"bench.{name}")
            started = time.monotonic()
            await module.run(report, quick=args.quick, pg_base=pg)
            print(f"   ({name}: {time.monotonic() - started:.0f} s)", flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(f"Pijat Oksitosin bot benchmarks — {CORES} cores, {TODAY}, {'quick' if args.quick else 'full'} run",
          flush=True)
    started = time.monotonic()
    report = asyncio.run(main_async(args))
    print(f"\n== Summary — {CORES} cores, {TODAY}, {time.monotonic() - started:.0f} s\n")
    print(report.table())
    if args.json:
        folder = Path(__file__).resolve().parent / "results"
        folder.mkdir(exist_ok=True)
        target = folder / f"{time.strftime('%Y%m%d-%H%M%S')}{'-quick' if args.quick else ''}.json"
        target.write_text(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        print(f"\nwrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
