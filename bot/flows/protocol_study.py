"""The study of one protocol (issue 14): per protocol version, instrument and the protocol's own measurement
pairs, the families that count and the ones left out (by reason), analysed pair by pair.

- :func:`study` — the families' paired data of one protocol (research consent only, on-time measurements).
- :func:`analyse_study` — the paired analysis of each pair (bot/flows/study_report.py words it).
- :func:`database_study` — :func:`study` straight from the configured database (``analyze --protocol``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.flows import study_notes
from bot.flows.checklist import slots
from bot.flows.study_data import (
    PairedScores,
    StudyDataError,
    analyse,
    binary_classes,
    class_names,
    from_database,
    is_good,
)
from content import Content, get_content
from content.instruments import Instrument
from storage import research

if TYPE_CHECKING:  # SciPy loads only when something is analysed
    from analysis import PairedReport


# -- the study of one protocol (issue 14) ------------------------------------------------------------------
#
# Grouped by protocol, version, instrument and the protocol's own measurement pairs; never pooled across
# protocols. Only families with research consent enter (storage/research.py); only measurements inside
# their window (bot/flows/windows.py) enter the primary analysis, the others are counted per reason.

@dataclass(frozen=True)
class OccasionPair:
    pre: str  # Measurement.occasion label of the "before"
    post: str
    pre_day: int
    post_day: int

    @property
    def day(self) -> int | None:
        """The protocol day when both are on the same day (seed 001), else None."""
        return self.pre_day if self.pre_day == self.post_day else None

if TYPE_CHECKING:  # SciPy loads only when something is analysed
    from analysis import PairedReport



def occasion_pairs(protocol) -> list[OccasionPair]:
    """Each "before" with the first "after" that follows it, in the protocol's order."""
    ordered = slots(protocol)
    out = []
    for s in ordered:
        if s.occasion != "pre":
            continue
        post = next((p for p in ordered[s.index + 1:] if p.occasion == "post"), None)
        if post is not None:
            out.append(OccasionPair(s.label, post.label, s.day, post.day))
    return out


@dataclass
class PairData:
    pair: OccasionPair
    scores: PairedScores
    excluded: dict[str, int]  # reason -> families of this pair left out
    outside_window: int  # of them, because a measurement was outside its window
    levels: object = None  # analysis.frequencies.LevelTable of the analysed families, before and after
    beyond_dropped: dict[str, int] = field(default_factory=dict)  # excluded, not counted as dropped pairs


@dataclass
class Study:
    protocol: object  # content.protocols.Protocol
    version: int
    instrument: Instrument
    facility_id: int | None
    pairs: list[PairData]
    flow: object  # analysis.flow.Flow
    adherence: list
    levels: object  # analysis.frequencies.LevelTable
    items: list
    characteristics: list  # Table 1 of the research-consenting families
    occasions: list[str]
    characteristics_analysed: list = field(default_factory=list)  # Table 1 of the analysed (primary pair)
    notes: object = None  # bot.flows.study_notes.ProtocolNotes: caveats, both classes, performers, vitals


def _taken(rows: Iterator[dict]) -> dict[int, dict[str, dict]]:
    """family id -> occasion -> the latest finished measurement {score, class_key, norm_class, window, items}."""
    out: dict[int, dict[str, dict]] = {}
    current: dict | None = None
    for r in rows:
        by_occ = out.setdefault(r["family_id"], {})
        if current is None or current["id"] != r["measurement_id"]:
            current = {"id": r["measurement_id"], "score": r["score"], "class_key": r["class_key"],
                       "norm_class": r.get("norm_class"), "window": r["window"] or "on_time", "items": {}}
            by_occ[r["occasion"]] = current  # ordered by completion: the latest wins
        if r["item"] is not None:
            current["items"][r["item"]] = r["item_score"]
    return out


def latest_taken(rows: Iterator[dict]) -> dict[int, dict[str, dict]]:
    """family id -> occasion -> the latest finished measurement (what the report and the wide files read)."""
    return _taken(rows)


def counts(fam: dict, m: dict) -> bool:
    """Whether a family's taken measurement enters the analysis (on time, scored): the report's rule."""
    return _reason(fam, m, "no_pre") is None


def _reason(fam: dict, m: dict | None, missing: str) -> str | None:
    """analysis.flow.loss_reason for one family's measurement (None: it counts)."""
    from analysis.flow import loss_reason

    return loss_reason(paused=bool(fam["paused"]), unreachable=bool(fam["unreachable"]),
                       window=None if m is None else m["window"], missing=missing,
                       scored=m is not None and m["score"] is not None)


def study(session: Session, content: Content, protocol_id: str, facility_id: int | None, *,
          version: int | None = None) -> Study:
    """Everything the per-protocol report needs, read from the database."""
    from analysis.characteristics import table1
    from analysis.flow import FamilyCourse, adherence, flow
    from analysis.frequencies import item_tables, level_table

    protocol = content.protocols[protocol_id]
    if version is None:
        found = research.versions(session, protocol_id, facility_id)
        version = found[0][0] if found else protocol.version
    instrument = content.instruments[protocol.instrument]
    fams = list(research.families(session, protocol_id, version, facility_id))
    taken = _taken(research.measurements(session, protocol_id, version, facility_id, instrument.id))
    done: dict[int, dict[int, list[int]]] = {}
    for r in research.sessions(session, protocol_id, version, facility_id):
        if r["day"] is None:
            continue
        cell = done.setdefault(r["family_id"], {}).setdefault(int(r["day"]), [0, 0])
        cell[0] += 1
        cell[1] += int(r["seconds"] or 0)

    pairs = occasion_pairs(protocol)
    binary = binary_classes(instrument)
    consenting = [f for f in fams if f["consent"]]
    results = []
    for pair in pairs:
        included: list[tuple[str, float, float]] = []
        keys: tuple[list, list] = ([], [])
        classes: list[tuple[bool | None, bool | None]] = []
        excluded: dict[str, int] = {}
        beyond: dict[str, int] = {}  # excluded but not already a dropped pair
        incomplete: list[str] = []
        incomplete_reasons: list[str] = []
        pre_only = post_only = 0
        seen_negative = False
        for fam in consenting:
            got = taken.get(fam["family_id"], {})
            pre, post = got.get(pair.pre), got.get(pair.post)
            why = _reason(fam, pre, "no_pre") or _reason(fam, post, "no_post_yet")
            if why is not None:
                excluded[why] = excluded.get(why, 0) + 1
                if (pre is None) != (post is None):  # listed as a dropped pair (missing) in the report
                    incomplete.append(fam["family"])
                    incomplete_reasons.append(why)
                    pre_only += int(pre is not None)
                    post_only += int(post is not None)
                else:
                    beyond[why] = beyond.get(why, 0) + 1
                continue
            included.append((fam["family"], float(pre["score"]), float(post["score"])))
            keys[0].append(pre["class_key"])
            keys[1].append(post["class_key"])
            if binary:
                cls = (is_good(pre["class_key"], binary), is_good(post["class_key"], binary))
                seen_negative = seen_negative or False in cls
                classes.append(cls)
        scores = PairedScores(
            instrument_id=instrument.id, pairs=included, classes=classes if binary else None,
            positive=binary[0] if binary else None, negative=binary[1] if binary and seen_negative else None,
            incomplete=incomplete, pre_only=pre_only, post_only=post_only, class_names=class_names(instrument),
            incomplete_reasons=incomplete_reasons)
        outside = sum(n for reason, n in excluded.items() if reason.startswith("window_"))
        results.append(PairData(pair, scores, excluded, outside, level_table(
            {pair.pre: keys[0], pair.post: keys[1]}, [(c.key, c.label) for c in instrument.classifications]),
            beyond))

    primary = pairs[0] if pairs else None
    analysed = {code for code, _, _ in results[0].scores.pairs} if results else set()
    courses = []
    for fam in fams:
        got = taken.get(fam["family_id"], {})
        pre = got.get(primary.pre) if primary else None
        post = got.get(primary.post) if primary else None
        courses.append(FamilyCourse(
            code=fam["family"], consent=bool(fam["consent"]), deleted=fam["status"] == "deleted",
            paused=bool(fam["paused"]), unreachable=bool(fam["unreachable"]),
            pre=pre["window"] if pre else None, post=post["window"] if post else None,
            sessions={d: (n, s) for d, (n, s) in done.get(fam["family_id"], {}).items()},
            analysed=fam["family"] in analysed))
    the_flow = flow(courses, protocol.days, protocol.sessions_per_day)

    occasions = [s.label for s in slots(protocol)]
    on_time = {o: [m for f in consenting if (m := taken.get(f["family_id"], {}).get(o)) is not None
                   and m["window"] == "on_time" and m["score"] is not None] for o in occasions}
    levels = level_table({o: [m["class_key"] for m in on_time[o]] for o in occasions},
                         [(c.key, c.label) for c in instrument.classifications])
    items = item_tables([(i.id, i.text) for i in instrument.items], {o: [m["items"] for m in on_time[o]]
                                                                     for o in occasions})
    return Study(protocol, version, instrument, facility_id, results, the_flow,
                 adherence(courses, protocol.days, protocol.sessions_per_day), levels, items,
                 table1(consenting), occasions, table1([f for f in consenting if f["family"] in analysed]),
                 study_notes.collect(session, content, protocol, version, facility_id))


def analyse_study(s: Study) -> list[tuple[PairData, PairedReport | None]]:
    """The pre/post report of each of the protocol's pairs (None: too few pairs)."""
    return [(p, analyse(p.scores, instrument=s.instrument, excluded=p.beyond_dropped,
                        outside_window=p.outside_window)) for p in s.pairs]



def database_study(protocol_id: str, facility: str | None = None, *, database_url: str | None = None,
                   content: Content | None = None, version: int | None = None) -> Study:
    """:func:`study` straight from the configured database (``python -m bot analyze --protocol``)."""
    content = content or get_content()
    if protocol_id not in content.protocols:
        raise StudyDataError(content.text("study.unknown_protocol", nama=protocol_id,
                                          pilihan=", ".join(sorted(content.protocols))))
    return from_database(database_url, content, facility,
                          lambda session, facility_id: study(session, content, protocol_id, facility_id,
                                                             version=version))


