"""The study data of a facility: paired pre/post scores for the analysis, and the families overview.

- :func:`paired_scores` — one (family code, pre, post) per family that completed both the pre and the
  post measurement of an instrument, with the yes/no class before and after when the instrument has two
  classes (for McNemar). The latest completed measurement of each occasion counts. Read in a stream.
- :func:`overview_page` — one page of a facility's families for /pasien: postpartum day, sessions
  done/planned, pre/post done, latest class, unreachable members, open alerts.
- :func:`family_detail` — everything the midwife sees about one family.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.flows import dates, occasion_status
from bot.flows.instrument_scale import scale_for
from content import Content
from content.instruments import Instrument
from storage import alerts as alert_store
from storage import exports, facilities
from storage.models import Answer, Family, MassageSession, Measurement, Membership, User

if TYPE_CHECKING:  # SciPy loads only when something is analysed
    from analysis import ClassLabels, DroppedPair, PairedReport

PRE = "pre"
POST = "post"
DONE_STATUSES = ("completed", "logged")
PAGE_SIZE = 8
MIN_PAIRS = 3  # fewer complete pairs than this: no analysis (analysis.paired.MIN_PAIRS)


# -- paired scores ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PairedScores:
    instrument_id: str
    pairs: list[tuple[str, float, float]]  # (family code, pre, post)
    classes: list[tuple[bool | None, bool | None]] | None  # aligned with pairs; None: not a yes/no class
    positive: str | None  # the class key counted as "yes" (e.g. lancar)
    negative: str | None  # the other class, if any family had it (as a CSV would show it)
    incomplete: list[str] = field(default_factory=list)  # family codes with only one of pre/post
    pre_only: int = 0
    post_only: int = 0
    class_names: dict[str, str] = field(default_factory=dict)  # class key -> the instrument's label
    incomplete_reasons: list[str] = field(default_factory=list)  # aligned with incomplete: why (the loss rule)

    @property
    def n(self) -> int:
        return len(self.pairs)

    def dropped_pairs(self) -> list[DroppedPair]:
        """Families with a pre or a post but not both, as the analysis lists left-out pairs."""
        from analysis import DroppedPair
        from analysis.paired import MISSING

        reasons = self.incomplete_reasons if len(self.incomplete_reasons) == len(self.incomplete) else []
        return [DroppedPair(code, reasons[i] if reasons else MISSING) for i, code in enumerate(self.incomplete)]

    def class_labels(self) -> ClassLabels | None:
        from analysis import ClassLabels

        if self.classes is None or self.positive is None:
            return None
        names = self.class_names  # what the report shows: "Lancar", not the key "lancar"
        return ClassLabels(yes=names.get(self.positive, self.positive),
                           no=names.get(self.negative, self.negative) if self.negative is not None else None)


def class_names(instrument: Instrument) -> dict[str, str]:
    """The instrument's class labels by key (content/instruments/*.yaml)."""
    return {c.key: c.label for c in instrument.classifications}


def binary_classes(instrument: Instrument) -> tuple[str, str] | None:
    """(good key, other key) when the instrument sorts totals into exactly two classes."""
    if len(instrument.classifications) != 2:
        return None
    good = [c for c in instrument.classifications if c.good]
    bad = [c for c in instrument.classifications if not c.good]
    if len(good) != 1 or len(bad) != 1:
        return None
    return good[0].key, bad[0].key


def latest_by_occasion(rows: Iterator[dict]) -> Iterator[tuple[dict, dict[str, dict]]]:
    """Group measurement rows (ordered by family, completion) into the latest row per occasion, per family."""
    for _, group in itertools.groupby(rows, key=lambda r: r["family_id"]):
        latest: dict[str, dict] = {}
        first = None
        for row in group:
            first = first or row
            latest[row["occasion"]] = row  # ordered by completion: the last one wins
        assert first is not None
        yield first, latest


def paired_scores(session: Session, instrument: Instrument, facility_id: int | None) -> PairedScores:
    """Pre and post total scores per family (only families with both), in family order."""
    binary = binary_classes(instrument)
    pairs: list[tuple[str, float, float]] = []
    classes: list[tuple[bool | None, bool | None]] = []
    incomplete: list[str] = []
    pre_only = post_only = 0
    seen_negative = False
    rows = exports.completed_measurements(session, instrument.id, facility_id, with_items=False)
    for first, latest in latest_by_occasion(rows):
        pre, post = latest.get(PRE), latest.get(POST)
        has_pre = pre is not None and pre["score"] is not None
        has_post = post is not None and post["score"] is not None
        if not (has_pre and has_post):
            if has_pre or has_post:
                incomplete.append(first["family"])
                pre_only += int(has_pre)
                post_only += int(has_post)
            continue
        pairs.append((first["family"], float(pre["score"]), float(post["score"])))
        if binary:
            pair = (is_good(pre["class_key"], binary), is_good(post["class_key"], binary))
            seen_negative = seen_negative or False in pair
            classes.append(pair)
    return PairedScores(
        instrument_id=instrument.id, pairs=pairs, classes=classes if binary else None,
        positive=binary[0] if binary else None, negative=binary[1] if binary and seen_negative else None,
        incomplete=incomplete, pre_only=pre_only, post_only=post_only, class_names=class_names(instrument),
    )


class StudyDataError(ValueError):
    """An unknown instrument or facility; the message is one Indonesian sentence for the operator."""


def analyse(scores: PairedScores, *, instrument: Instrument | None = None, excluded: dict[str, int] | None = None,
            outside_window: int = 0) -> PairedReport | None:
    """The analysis library's report on the pairs; None when there are too few pairs.

    ``instrument`` sets the direction and scale of the score (bot/flows/instrument_scale.py);
    ``excluded`` (reason -> count) and ``outside_window`` only feed the report's warnings.
    """
    from analysis import AnalysisError, analyze_pairs

    try:
        return analyze_pairs(scores.pairs, dropped=scores.dropped_pairs(), classes=scores.classes,
                             class_labels=scores.class_labels(),
                             scale=scale_for(instrument) if instrument is not None else None,
                             excluded=excluded, outside_window=outside_window)
    except AnalysisError as exc:
        if exc.code == "too_few_pairs":
            return None
        raise


def facility_instrument(session: Session, content: Content, facility_id: int | None) -> str:
    """The instrument of the protocol most of the facility's families follow (else the default's)."""
    stmt = select(Family.protocol_id, func.count()).where(
        col(Family.deleted_at).is_(None), Family.status != "deleted")
    if facility_id is not None:
        stmt = stmt.where(Family.facility_id == facility_id)
    rows = session.exec(stmt.group_by(Family.protocol_id).order_by(func.count().desc(), Family.protocol_id))
    for protocol_id, _ in rows:
        protocol = content.protocols.get(protocol_id)
        if protocol is not None:
            return protocol.instrument
    return content.default_protocol.instrument


def is_good(class_key: str | None, binary: tuple[str, str]) -> bool | None:
    if class_key == binary[0]:
        return True
    if class_key == binary[1]:
        return False
    return None


# -- the overview ----------------------------------------------------------------------------------

def postpartum_day(birth_date: date | None, now: datetime, timezone: str, birth_time: str | None = None
                   ) -> int | None:
    """Day after birth in the family's local calendar (the birth day is day 0; from the birth hour if known)."""
    if birth_date is None:
        return None
    try:
        ZoneInfo(timezone)
    except Exception:  # noqa: BLE001 - an unknown zone falls back to WIB
        timezone = "Asia/Jakarta"
    return dates.postpartum_day(birth_date, now, timezone, birth_time)


@dataclass
class MemberInfo:
    user_id: int
    role: str
    name: str
    reachable: bool


@dataclass
class FamilySummary:
    family: Family
    day: int | None
    sessions_done: int
    sessions_planned: int
    pre_done: bool
    post_done: bool
    latest_class: str | None  # class key of the latest completed measurement
    latest_class_label: str | None
    open_alerts: int
    members: list[MemberInfo] = field(default_factory=list)
    occasions: list = field(default_factory=list)  # bot/flows/occasion_status.OccasionState, in protocol order

    @property
    def unreachable(self) -> list[MemberInfo]:
        return [m for m in self.members if not m.reachable]

    @property
    def mother_name(self) -> str | None:
        for m in self.members:
            if m.role == "mother":
                return m.name
        return self.members[0].name if self.members else None


@dataclass
class OverviewPage:
    families: list[FamilySummary]
    page: int
    pages: int
    total: int


def _live_families(facility_id: int):
    return select(Family).where(
        Family.facility_id == facility_id, col(Family.deleted_at).is_(None), Family.status != "deleted"
    )


def count_families(session: Session, facility_id: int) -> int:
    return exports.count_families(session, facility_id)


def overview_page(session: Session, content: Content, facility_id: int, *, page: int, now: datetime,
                  page_size: int = PAGE_SIZE) -> OverviewPage:
    """One page of the facility's families, newest registration first."""
    total = count_families(session, facility_id)
    pages = max(1, -(-total // page_size))
    page = min(max(0, page), pages - 1)
    fams = list(session.exec(
        _live_families(facility_id).order_by(col(Family.created_at).desc(), col(Family.id).desc())
        .offset(page * page_size).limit(page_size)
    ))
    return OverviewPage(summaries(session, content, fams, now=now), page, pages, total)


def summaries(session: Session, content: Content, fams: list[Family], *, now: datetime) -> list[FamilySummary]:
    ids = [f.id for f in fams]
    if not ids:
        return []
    members: dict[int, list[MemberInfo]] = {i: [] for i in ids}
    for m, u in session.exec(
        select(Membership, User).join(User, col(User.id) == Membership.user_id)
        .where(col(Membership.family_id).in_(ids), col(Membership.active).is_(True))
        .order_by(Membership.id)
    ):
        members[m.family_id].append(MemberInfo(u.id, m.role, u.display_name or u.first_name or "-", u.reachable))
    done = dict(session.exec(
        select(MassageSession.family_id, func.count())
        .where(col(MassageSession.family_id).in_(ids), col(MassageSession.status).in_(DONE_STATUSES))
        .group_by(MassageSession.family_id)
    ).all())
    measured: dict[int, list[Measurement]] = {i: [] for i in ids}
    for m in session.exec(
        select(Measurement).where(col(Measurement.family_id).in_(ids), col(Measurement.completed_at).is_not(None))
        .order_by(Measurement.completed_at, Measurement.id)
    ):
        measured[m.family_id].append(m)
    open_alerts = alert_store.open_counts(session, ids)

    out = []
    for fam in fams:
        protocol = content.protocols.get(fam.protocol_id) or content.default_protocol
        done_ms = [m for m in measured[fam.id] if m.instrument_id == protocol.instrument] or measured[fam.id]
        latest = done_ms[-1] if done_ms else None
        label = None
        if latest is not None and latest.class_key:
            label = class_label(content, latest.instrument_id, latest.class_key)
        out.append(FamilySummary(
            family=fam,
            day=postpartum_day(fam.birth_date, now, fam.timezone, fam.birth_time),
            sessions_done=int(done.get(fam.id, 0)),
            sessions_planned=len(protocol.days) * protocol.sessions_per_day,
            pre_done=any(occasion_kind(m.occasion) == PRE for m in done_ms),
            post_done=any(occasion_kind(m.occasion) == POST for m in done_ms),
            latest_class=latest.class_key if latest else None,
            latest_class_label=label,
            open_alerts=open_alerts.get(fam.id, 0),
            members=members[fam.id],
            occasions=states_of(protocol, fam, postpartum_day(fam.birth_date, now, fam.timezone, fam.birth_time),
                                [(m.occasion, m.window) for m in done_ms]),
        ))
    return out


occasion_kind = occasion_status.kind  # "day2_pre" -> "pre"


def states_of(protocol, family: Family, day: int | None,
              done: list[tuple[str, str | None]]) -> list[occasion_status.OccasionState]:
    """The family's state on each occasion of its protocol (bot/flows/occasion_status.py); ``done``: (label,
    window status) of its finished measurements."""
    completed: dict[str, str | None] = {}
    for label, window in done:  # a real checklist wins over a skip of the same occasion
        if label not in completed or completed[label] == occasion_status.SKIPPED:
            completed[label] = window
    return occasion_status.occasion_states(protocol, day=day, active=family.status == "active", completed=completed)


def class_label(content: Content, instrument_id: str, class_key: str) -> str:
    inst = content.instruments.get(instrument_id)
    if inst is not None:
        for c in inst.classifications:
            if c.key == class_key:
                return c.label
    return class_key


@dataclass
class AnsweredItem:
    item_id: str
    text: str
    raw_value: str
    score: int


@dataclass
class MeasurementDetail:
    measurement: Measurement
    class_label: str | None
    answers: list[AnsweredItem]


@dataclass
class FamilyDetail:
    summary: FamilySummary
    sessions: list[MassageSession]
    measurements: list[MeasurementDetail]
    alerts: list


def family_detail(session: Session, content: Content, family: Family, *, now: datetime) -> FamilyDetail:
    summary = summaries(session, content, [family], now=now)[0]
    sessions = list(session.exec(
        select(MassageSession).where(MassageSession.family_id == family.id)
        .order_by(MassageSession.started_at, MassageSession.id)
    ))
    details = []
    measurements = list(session.exec(
        select(Measurement).where(Measurement.family_id == family.id)
        .order_by(Measurement.started_at, Measurement.id)
    ))
    for m in measurements:
        inst = content.instruments.get(m.instrument_id)
        items = []
        for a in session.exec(select(Answer).where(Answer.measurement_id == m.id).order_by(Answer.id)):
            text = a.item_id
            if inst is not None:
                try:
                    text = inst.item(a.item_id).text
                except KeyError:
                    pass
            items.append(AnsweredItem(a.item_id, text, a.raw_value, a.score))
        label = class_label(content, m.instrument_id, m.class_key) if m.class_key else None
        details.append(MeasurementDetail(m, label, items))
    return FamilyDetail(summary, sessions, details, alert_store.for_family(session, family.id))


def from_database(database_url: str | None, content: Content, facility: str | None, query):
    """Open the configured database (migrated), resolve ``facility`` (code or name; None: every facility) and
    return ``query(session, facility_id)``."""
    from bot.core.config import settings_from_env
    from storage.db import Database

    db = Database(database_url or settings_from_env().database_url)
    try:
        db.upgrade()
        with db.session() as session:
            facility_id = None
            if facility:
                found = facilities.find(session, facility)
                if found is None:
                    raise StudyDataError(content.text("export.cli.unknown_facility", kode=facility))
                facility_id = found.id
            return query(session, facility_id)
    finally:
        db.dispose()
