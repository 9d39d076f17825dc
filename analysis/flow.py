"""Participant flow and adherence (dose), per protocol.

Pure: one :class:`FamilyCourse` per registered family in; the flow (registered -> research consent -> pre on
time -> sessions done -> post on time -> analysed, with the losses at each step and their reasons) and the
adherence table (sessions per family per day against the protocol's plan) out.

Loss reasons: ``no_consent``, ``deleted`` (no research consent, so nothing was kept), ``paused``,
``unreachable``, ``window_<status>`` (a measurement outside its window: early, late, after_massage, skipped),
``no_pre``, ``no_post_yet``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ON_TIME = "on_time"


@dataclass(frozen=True)
class FamilyCourse:
    code: str
    consent: bool
    deleted: bool = False
    paused: bool = False
    unreachable: bool = False
    pre: str | None = None  # window status of the primary pair's pre (None: not taken)
    post: str | None = None  # ... of its post
    sessions: Mapping[int, tuple[int, int]] = field(default_factory=dict)  # day -> (sessions done, seconds)
    analysed: bool = False


@dataclass(frozen=True)
class DaySessions:
    day: int
    planned: int  # per family
    families_full: int  # families with every planned session that day
    sessions: int  # sessions done, all families
    minutes: float  # total minutes, all families


@dataclass(frozen=True)
class Flow:
    registered: int
    consented_research: int
    pre_on_time: int
    post_on_time: int
    analysed: int
    days: list[DaySessions]
    losses: dict[str, dict[str, int]]  # step -> reason -> families
    excluded: dict[str, int]  # reason -> families left out of the primary analysis

    def as_json(self) -> dict:
        return {
            "registered": self.registered, "consented_research": self.consented_research,
            "pre_on_time": self.pre_on_time, "post_on_time": self.post_on_time, "analysed": self.analysed,
            "excluded": dict(self.excluded), "losses": {k: dict(v) for k, v in self.losses.items()},
            "sessions": [{"day": d.day, "planned_per_family": d.planned, "families_full": d.families_full,
                          "sessions": d.sessions, "minutes": round(d.minutes, 1)} for d in self.days],
        }


def _why_missing(f: FamilyCourse, when: str) -> str:
    if f.paused:
        return "paused"
    if f.unreachable:
        return "unreachable"
    return when


def flow(families: Sequence[FamilyCourse], days: Sequence[int], per_day: int) -> Flow:
    losses: dict[str, Counter] = {"consent": Counter(), "pre": Counter(), "post": Counter(), "analysis": Counter()}
    excluded: Counter = Counter()
    consented = [f for f in families if f.consent]
    for f in families:
        if not f.consent:
            losses["consent"]["deleted" if f.deleted else "no_consent"] += 1
    pre_ok = []
    for f in consented:
        if f.pre == ON_TIME:
            pre_ok.append(f)
        else:
            reason = f"window_{f.pre}" if f.pre else _why_missing(f, "no_pre")
            losses["pre"][reason] += 1
            excluded[reason] += 1
    post_ok = []
    for f in pre_ok:
        if f.post == ON_TIME:
            post_ok.append(f)
        else:
            reason = f"window_{f.post}" if f.post else _why_missing(f, "no_post_yet")
            losses["post"][reason] += 1
            excluded[reason] += 1
    analysed = [f for f in post_ok if f.analysed]
    for f in post_ok:
        if not f.analysed:
            losses["analysis"]["no_score"] += 1
            excluded["no_score"] += 1
    day_rows = []
    for d in days:
        done = [f.sessions.get(d, (0, 0)) for f in consented]
        day_rows.append(DaySessions(d, per_day, sum(1 for n, _ in done if n >= per_day), sum(n for n, _ in done),
                                    sum(s for _, s in done) / 60))
    return Flow(len(families), len(consented), len(pre_ok), len(post_ok), len(analysed), day_rows,
                {k: dict(v) for k, v in losses.items() if v}, dict(excluded))


@dataclass(frozen=True)
class AdherenceRow:
    code: str
    per_day: list[tuple[int, int, int]]  # (day, sessions done, minutes rounded)
    planned: int  # per day
    full_days: int  # days with every planned session


def adherence(families: Sequence[FamilyCourse], days: Sequence[int], per_day: int) -> list[AdherenceRow]:
    rows = []
    for f in families:
        if not f.consent:
            continue
        cells = [(d, f.sessions.get(d, (0, 0))[0], round(f.sessions.get(d, (0, 0))[1] / 60)) for d in days]
        rows.append(AdherenceRow(f.code, cells, per_day, sum(1 for _, n, _ in cells if n >= per_day)))
    return rows
