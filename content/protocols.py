"""Study protocols (``protocols/<id>.yaml``): one per study design, plus ``default``.

Day numbering: the birth day is day 0; day 1 is the day after birth. A protocol says which
instrument is used, on which days the massage is done, how many sessions a day and at what local
times (``None`` = the configured default ``REMINDER_TIMES``), how long a session lasts, when the
pre/post measurements are taken and which education message goes out with which reminder.

Measurement slots:
- ``before_first_session``: before the first massage of that day
- ``after_last_session``: after the last massage of that day
- ``first_time``: at that day's first reminder time (for a day with no massage, e.g. day 4)

Measurement windows (``window: {opens, closes, grace_hours}``; defaults follow the slot): a measurement taken
inside its window is ``on_time``; before it opens ``early``; after it closes ``late``; a "before" measurement
begun after that day's first massage is ``after_massage``. Only on-time measurements enter the primary analysis.
- ``opens``: ``registration`` (any time before), ``day_start`` (the start of the day), ``last_session`` (once the
  massage it follows is done, never at a reminder time before it: bot/flows/windows.after_opens)
- ``closes``: ``first_session`` (the first massage of that day; later = ``after_massage``), ``day_end`` (the end
  of that day)
- ``grace_hours``: hours after ``day_end`` still counted on time (0-48)

``version``: a whole number raised whenever the design changes; a family keeps the version it enrolled under.

``blinded``: families see no score, class or earlier result until the last measurement (the outcome is
self-reported). ``substitutes``: the seed whose own, unpublished instrument ``instrument`` replaces (the report
says so). ``vitals`` (required when ``performer`` is ``petugas``): the health worker's blood pressure, pulse and
breathing before each massage: ``normal`` and ``plausible`` ranges and ``wait_minutes`` (/vital, bot/flows/vitals.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from content.schema import Node, unique_ids
from content.sources import Source, read_source

OCCASIONS = ("pre", "post")
SLOTS = ("before_first_session", "after_last_session", "first_time")
PERFORMERS = ("suami", "keluarga", "petugas")
OPENS = ("registration", "day_start", "last_session")
CLOSES = ("first_session", "day_end")
DEFAULT_WINDOW = {"before_first_session": ("day_start", "first_session", 0),
                  "after_last_session": ("last_session", "day_end", 6),
                  "first_time": ("day_start", "day_end", 6)}
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Window:
    opens: str  # one of OPENS
    closes: str  # one of CLOSES
    grace_hours: int = 0


@dataclass(frozen=True)
class Measurement:
    occasion: str  # "pre" | "post"
    day: int
    slot: str  # one of SLOTS
    window: Window | None = None

    @property
    def the_window(self) -> Window:
        if self.window is not None:
            return self.window
        opens, closes, grace = DEFAULT_WINDOW[self.slot]
        return Window(opens, closes, grace)


@dataclass(frozen=True)
class EducationSlot:
    day: int
    session: int  # which reminder of that day (1 = the first)
    education_id: str


VITALS = ("systolic", "diastolic", "pulse", "breathing")


@dataclass(frozen=True)
class Vitals:
    """Blood pressure, pulse and breathing measured before each massage, with the ranges counted normal, the
    ranges accepted as a reading at all, and how long the massage waits after a reading outside normal."""

    normal: dict[str, tuple[int, int]]
    plausible: dict[str, tuple[int, int]]
    wait_minutes: int

    def outside(self, values: dict[str, int]) -> tuple[str, ...]:
        """The vitals outside their normal range, in VITALS order."""
        return tuple(k for k in VITALS if not self.normal[k][0] <= values[k] <= self.normal[k][1])

    def implausible(self, values: dict[str, int]) -> tuple[str, ...]:
        return tuple(k for k in VITALS if not self.plausible[k][0] <= values[k] <= self.plausible[k][1])


def _parse_vitals(node: Node) -> Vitals:
    node.mapping(required={"normal", "plausible", "wait_minutes"}, allowed={"note"})
    ranges = {}
    for part in ("normal", "plausible"):
        pnode = node.get(part)
        pnode.mapping(required=set(VITALS))
        ranges[part] = {}
        for k in VITALS:
            pair = pnode.get(k).list(min_len=2)
            lo, hi = pair[0].int(min_value=0, max_value=400), pair[1].int(min_value=0, max_value=400)
            if lo > hi or len(pair) != 2:
                raise pnode.get(k).error("expected [low, high]")
            ranges[part][k] = (lo, hi)
    for k in VITALS:
        n_lo, n_hi = ranges["normal"][k]
        p_lo, p_hi = ranges["plausible"][k]
        if not p_lo <= n_lo <= n_hi <= p_hi:
            raise node.get("normal").error(f"{k}: the normal range must lie inside the plausible one")
    return Vitals(ranges["normal"], ranges["plausible"], node.get("wait_minutes").int(min_value=1, max_value=240))


@dataclass(frozen=True)
class Protocol:
    id: str
    title: str
    description: str
    instrument: str  # instrument id
    performer: str  # who gives the massage: "suami" | "keluarga" | "petugas"
    days: tuple[int, ...]  # massage days, day 1 = the day after birth
    sessions_per_day: int
    times: tuple[str, ...] | None  # local "HH:MM" per session, or None = configured REMINDER_TIMES
    session_minutes: tuple[int, int]  # (min, max)
    measurements: tuple[Measurement, ...]
    education: tuple[EducationSlot, ...]
    source: tuple[str, ...]
    note: str | None = None
    version: int = 1
    blinded: bool = False  # families see no score, class or earlier result until the last measurement
    substitutes: str | None = None  # the seed whose own (unpublished) instrument ``instrument`` replaces
    vitals: Vitals | None = None  # performer "petugas": the health worker's check before each massage

    @property
    def session_seconds(self) -> int:
        """Length of the timed massage step: the lower end of the session range."""
        return self.session_minutes[0] * 60

    @property
    def last_day(self) -> int:
        """The last day the protocol asks anything of the family."""
        return max([*self.days, *(m.day for m in self.measurements), *(e.day for e in self.education)])

    def measurements_on(self, day: int) -> tuple[Measurement, ...]:
        return tuple(m for m in self.measurements if m.day == day)

    def education_on(self, day: int) -> tuple[EducationSlot, ...]:
        return tuple(e for e in self.education if e.day == day)


def parse_protocol(root: Node, sources: dict[str, Source], expected_id: str) -> Protocol:
    root.mapping(
        allowed={"note", "education", "version", "blinded", "substitutes", "vitals"},
        required={"id", "title", "description", "instrument", "performer", "days", "sessions_per_day",
                  "times", "session_minutes", "measurements", "source"},
    )
    ident = root.get("id").ident()
    if ident != expected_id:
        raise root.get("id").error(f"id {ident!r} must match the file name {expected_id!r}")

    days_node = root.get("days")
    days = tuple(n.int(min_value=1, max_value=42) for n in days_node.list(min_len=1))
    if list(days) != sorted(set(days)):
        raise days_node.error("days must be increasing with no repeats")
    per_day = root.get("sessions_per_day").int(min_value=1, max_value=6)

    times: tuple[str, ...] | None = None
    tnode = root.get("times")
    if tnode.value is not None:
        times = tnode.str_list(min_len=1)
        for i, t in enumerate(times):
            if not _TIME.match(t):
                raise tnode.error(f"{t!r} is not a time like 07:30", f"{tnode.key}[{i}]")
        if list(times) != sorted(set(times)):
            raise tnode.error("times must be increasing with no repeats")
        if len(times) != per_day:
            raise tnode.error(f"{len(times)} times given but sessions_per_day is {per_day}")

    mnode = root.get("session_minutes")
    mins = mnode.list(min_len=2)
    if len(mins) != 2:
        raise mnode.error("expected [min, max] minutes")
    lo, hi = mins[0].int(min_value=1, max_value=60), mins[1].int(min_value=1, max_value=60)
    if lo > hi:
        raise mnode.error("min is greater than max")

    measurements = []
    meas_nodes = root.get("measurements").list(min_len=2)
    for n in meas_nodes:
        n.mapping(required={"occasion", "day", "slot"}, allowed={"window"})
        window = None
        if n.has("window"):
            w = n.get("window")
            w.mapping(required={"opens", "closes"}, allowed={"grace_hours"})
            window = Window(w.get("opens").choice(OPENS), w.get("closes").choice(CLOSES),
                            w.get("grace_hours").int(min_value=0, max_value=48) if w.has("grace_hours") else 0)
        m = Measurement(n.get("occasion").choice(OCCASIONS), n.get("day").int(min_value=0, max_value=42),
                        n.get("slot").choice(SLOTS), window)
        if m.slot != "first_time" and m.day not in days:
            raise n.error(f"slot {m.slot} needs a massage on day {m.day}, but days are {list(days)}", f"{n.key}.slot")
        measurements.append(m)
    unique_ids([(f"{m.occasion}_day{m.day}", n) for m, n in zip(measurements, meas_nodes, strict=True)],
               "measurement (occasion, day)")
    occasions = {m.occasion for m in measurements}
    if occasions != set(OCCASIONS):
        raise root.error("needs at least one pre and one post measurement", "measurements")
    first_pre = min(m.day for m in measurements if m.occasion == "pre")
    last_post = max(m.day for m in measurements if m.occasion == "post")
    if last_post < first_pre:
        raise root.error("the last post measurement comes before the first pre measurement", "measurements")

    education = []
    if root.has("education"):
        for n in root.get("education").list():
            n.mapping(required={"day", "session", "id"})
            slot = EducationSlot(n.get("day").int(min_value=0, max_value=42),
                                 n.get("session").int(min_value=1, max_value=per_day),
                                 n.get("id").ident())
            active = set(days) | {m.day for m in measurements}
            if slot.day not in active:
                raise n.error(f"day {slot.day} has no massage or measurement in this protocol", f"{n.key}.day")
            education.append(slot)

    performer = root.get("performer").choice(PERFORMERS)
    vitals = _parse_vitals(root.get("vitals")) if root.has("vitals") else None
    if performer == "petugas" and vitals is None:
        raise root.error("a protocol whose performer is petugas needs vitals (the check before each massage)")
    source, note = read_source(root, sources)
    return Protocol(
        id=ident,
        title=root.get("title").str(),
        description=root.get("description").str(),
        instrument=root.get("instrument").ident(),
        performer=performer,
        days=days,
        sessions_per_day=per_day,
        times=times,
        session_minutes=(lo, hi),
        measurements=tuple(measurements),
        education=tuple(education),
        source=source,
        note=note,
        version=root.get("version").int(min_value=1, max_value=999) if root.has("version") else 1,
        blinded=root.get("blinded").bool() if root.has("blinded") else False,
        substitutes=root.get("substitutes").ident() if root.has("substitutes") else None,
        vitals=vitals,
    )
