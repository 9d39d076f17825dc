"""What every benchmark shares: the figure table, clean databases, memory readings, percentiles.

Figures are printed as they are measured, each with the machine's core count and the date, and kept in a
:class:`Report` that ``bench/run.py`` prints as a table at the end and may write as JSON.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CORES = os.cpu_count() or 1
TODAY = _dt.date.today().isoformat()


def stamp() -> str:
    """The label every printed figure carries: where and when it was measured."""
    return f"[{CORES} cores, {TODAY}]"


@dataclass
class Figure:
    section: str
    name: str
    measured: float | None
    unit: str
    target: str = ""
    met: bool | None = None  # None: no target
    note: str = ""
    text: str = ""  # shown instead of the number (e.g. "yes")

    def shown(self) -> str:
        return self.text or format_value(self.measured, self.unit)


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit in ("s", "ms"):
        text_value = f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    elif unit == "x":
        return f"{value:.2f}"
    elif unit == "MB":
        text_value = f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"
    else:
        text_value = f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    return f"{text_value} {unit}".strip()


@dataclass
class Report:
    quick: bool
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def add(self, section: str, name: str, measured: float | None, unit: str, *, target: str = "",
            met: bool | None = None, note: str = "", text: str = "") -> Figure:
        fig = Figure(section, name, measured, unit, target, met, note, text)
        self.figures.append(fig)
        verdict = "" if met is None else ("  met" if met else "  NOT MET")
        goal = f"  (target {target})" if target else ""
        extra = f"  — {note}" if note else ""
        print(f"  {stamp()} {name}: {fig.shown()}{goal}{verdict}{extra}", flush=True)
        return fig

    def note(self, line: str) -> None:
        self.notes.append(line)
        print(f"  {line}", flush=True)

    def table(self) -> str:
        rows = [("Figure", "Target", "Measured", "Met?")]
        for f in self.figures:
            rows.append((f.name, f.target or "—", f.shown(), "—" if f.met is None else ("yes" if f.met else "NO")))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = []
        for i, r in enumerate(rows):
            lines.append("  ".join(c.ljust(widths[j]) for j, c in enumerate(r)).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def as_json(self) -> dict:
        return {
            "cores": CORES,
            "date": TODAY,
            "quick": self.quick,
            "seconds": round(time.monotonic() - self.started, 1),
            "figures": [asdict(f) for f in self.figures],
            "notes": self.notes,
        }


def section(title: str) -> None:
    print(f"\n== {title} {stamp()}", flush=True)


# -- databases -------------------------------------------------------------------------------------------

@contextlib.contextmanager
def sqlite_url(name: str = "bench") -> Iterator[str]:
    """A fresh SQLite file in a temporary folder (removed afterwards)."""
    folder = tempfile.mkdtemp(prefix=f"pijat-{name}-")
    try:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def postgres_url(base: str) -> Iterator[str]:
    """A fresh schema in the PostgreSQL database ``base``; the URL pins search_path to it. Dropped after."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def postgres_available(base: str | None) -> bool:
    if not base:
        return False
    try:
        engine = create_engine(base)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "skip PostgreSQL"
        return False


@contextlib.contextmanager
def database(kind: str, pg_base: str | None, name: str = "bench") -> Iterator[str]:
    """A fresh database URL of ``kind`` ("sqlite" or "postgres")."""
    if kind == "sqlite":
        with sqlite_url(name) as url:
            yield url
    else:
        assert pg_base
        with postgres_url(pg_base) as url:
            yield url


# -- memory ----------------------------------------------------------------------------------------------

def _status_kb(field_name: str, pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field_name + ":"):
                return float(line.split()[1])
    return 0.0


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory now, in MB (Linux /proc)."""
    return _status_kb("VmRSS", pid) / 1024


def peak_rss_mb(pid: int | str = "self") -> float:
    """The process's resident-memory high-water mark, in MB."""
    return _status_kb("VmHWM", pid) / 1024


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0: write 5 to clear_refs). False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


# -- numbers ---------------------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start
