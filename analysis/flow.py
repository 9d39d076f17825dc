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
    per_protocol: int = 0  # of the analysed, families with every planned session on every day ("per protocol")

    def as_json(self) -> dict:
        return {
            "registered": self.registered, "consented_research": self.consented_research,
            "pre_on_time": self.pre_on_time, "post_on_time": self.post_on_time, "analysed": self.analysed,
            "per_protocol": self.per_protocol, "excluded": dict(self.excluded),
            "losses": {k: dict(v) for k, v in self.losses.items()},
            "sessions": [{"day": d.day, "planned_per_family": d.planned, "families_full": d.families_full,
                          "sessions": d.sessions, "minutes": round(d.minutes, 1)} for d in self.days],
        }


def loss_reason(*, paused: bool, unreachable: bool, window: str | None, missing: str,
                scored: bool = True) -> str | None:
    """Why one measurement keeps a family out of the analysis, or None when it counts: the one rule every
    count of exclusions uses (the flow, each pair's excluded counts, the warnings, the wide files' window
    columns). ``window`` None means the measurement was not taken (``missing`` then names the step, unless the
    family paused its reminders or cannot be reached)."""
    if window is None:
        return "paused" if paused else "unreachable" if unreachable else missing
    if window != ON_TIME:
        return f"window_{window}"
    if not scored:
        return "no_score"
    return None


def _why(f: FamilyCourse, window: str | None, missing: str) -> str | None:
    return loss_reason(paused=f.paused, unreachable=f.unreachable, window=window, missing=missing)


def flow(families: Sequence[FamilyCourse], days: Sequence[int], per_day: int) -> Flow:
    losses: dict[str, Counter] = {"consent": Counter(), "pre": Counter(), "post": Counter(), "analysis": Counter()}
    excluded: Counter = Counter()
    consented = [f for f in families if f.consent]
    for f in families:
        if not f.consent:
            losses["consent"]["deleted" if f.deleted else "no_consent"] += 1
    pre_ok = []
    for f in consented:
        reason = _why(f, f.pre, "no_pre")
        if reason is None:
            pre_ok.append(f)
        else:
            losses["pre"][reason] += 1
            excluded[reason] += 1
    post_ok = []
    for f in pre_ok:
        reason = _why(f, f.post, "no_post_yet")
        if reason is None:
            post_ok.append(f)
        else:
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
    per_protocol = sum(1 for f in analysed if as_planned(f, days, per_day))
    return Flow(len(families), len(consented), len(pre_ok), len(post_ok), len(analysed), day_rows,
                {k: dict(v) for k, v in losses.items() if v}, dict(excluded), per_protocol)


def as_planned(f: FamilyCourse, days: Sequence[int], per_day: int) -> bool:
    """Every planned session done on every protocol day ("per protocol")."""
    return all(f.sessions.get(d, (0, 0))[0] >= per_day for d in days)


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
