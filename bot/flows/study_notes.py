"""What the per-protocol report says beside the pairs (issue 24): the protocol's own caveats (self-report,
blinding, an effect the instrument builds in, an instrument that replaces the seed's own, massages not given by
the protocol's performer), both classifications of each occasion (the instrument's and the baby's day norm),
who gave each massage, and the health worker's vital signs. Read from the database by :func:`collect`; shown by
bot/flows/study_report.py (text and JSON)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session

from analysis.caveats import Caveat, protocol_caveats
from bot.flows import answers as answer_rules
from bot.flows import checklist
from bot.flows.checklist import slots
from content.day_norms import NORM_CLASSES
from storage import study_extras

# A session's giver, from the family role of the user who gave (or logged) it, or a health worker.
ROLE_PERFORMER = {"husband": "suami", "mother": "ibu", "companion": "keluarga"}
STAFF, OTHER, ERASED = "petugas", "lainnya", "dihapus"
PERFORMERS = ("suami", "keluarga", "ibu", STAFF, OTHER, ERASED)
# Which givers count as the protocol's performer.
COUNTS_AS = {"suami": ("suami",), "keluarga": ("suami", "keluarga"), "petugas": (STAFF,)}


@dataclass
class ProtocolNotes:
    caveats: list[Caveat] = field(default_factory=list)
    day_norm: list[dict] = field(default_factory=list)  # per occasion: n, instrument classes, day-norm classes
    performers: dict = field(default_factory=dict)  # {"planned", "sessions", "by_planned", "by": {who: {...}}}
    vitals: dict | None = None  # readings, normal, outside {vital: n}, massages logged after a normal one


def performer_of(row: dict) -> str:
    """Who gave a session; ``dihapus`` when /hapus erased who it was (a withdrawn family's pseudonymous rows)."""
    if row["staff"]:
        return STAFF
    if row["role"] is None and row.get("family_status") == "deleted":
        return ERASED
    return ROLE_PERFORMER.get(row["role"] or "", OTHER)


def derive_norm(content, instrument, raw: dict[str, str], day: int) -> str | None:
    """The day-norm class of stored answers (an on-time measurement was taken on its slot's day)."""
    values = {}
    for item in instrument.items:
        if item.id in raw:
            value = answer_rules.decode(item, raw[item.id])
            if value is not None:
                values[item.id] = value
    if len(values) != len(instrument.items):
        return None
    found, _day = checklist.norm_class(content.day_norms, instrument, values, day)
    return found


def collect(session: Session, content, protocol, version: int | None, facility_id: int | None) -> ProtocolNotes:
    instrument = content.instruments[protocol.instrument]
    notes = ProtocolNotes()
    norms = content.day_norms.for_instrument(instrument.id) if content.day_norms else None
    if norms is not None:
        latest: dict[tuple[int, str], dict] = {}
        for r in study_extras.norm_classes(session, protocol.id, version, facility_id, instrument.id):
            key = (r["family_id"], r["occasion"])
            if key not in latest or latest[key]["measurement_id"] != r["measurement_id"]:
                latest[key] = {**dict(r), "raw": {}}  # completion order: the latest wins
            if r["item"] is not None:
                latest[key]["raw"][r["item"]] = r["raw_value"]
        for slot in slots(protocol):
            rows = [r for (_, occ), r in latest.items() if occ == slot.label and (r["window"] or "on_time") == "on_time"]
            for r in rows:
                if r["norm_class"] is None:  # stored before the day norm was: derived from the answers and the
                    r["norm_class"] = derive_norm(content, instrument, r["raw"], slot.day)  # on-time slot's day
            notes.day_norm.append({
                "occasion": slot.label, "n": len(rows),
                "instrument": {c.key: sum(1 for r in rows if r["class_key"] == c.key) for c in instrument.classifications},
                "day_norm": {k: sum(1 for r in rows if r["norm_class"] == k) for k in NORM_CLASSES},
                "day_norm_missing": sum(1 for r in rows if r["norm_class"] is None)})
    sessions: Counter = Counter()
    families: dict[str, set[int]] = {}
    for r in study_extras.performers(session, protocol.id, version, facility_id):
        who = performer_of(dict(r))
        sessions[who] += 1
        families.setdefault(who, set()).add(r["family_id"])
    total = sum(sessions.values())
    by_planned = sum(sessions[w] for w in COUNTS_AS.get(protocol.performer, (protocol.performer,)))
    known = total - sessions[ERASED]  # a giver erased by /hapus is neither as planned nor not
    notes.performers = {
        "planned": protocol.performer, "sessions": total, "by_planned": by_planned,
        "by": {w: {"sessions": sessions[w], "families": len(families[w])} for w in PERFORMERS if w in sessions}}
    if protocol.vitals is not None:
        readings = list(study_extras.vitals(session, protocol.id, version, facility_id))
        outside = Counter(k for r in readings for k in (r["outside"] or "").split(",") if k)
        notes.vitals = {"readings": len(readings), "normal": sum(1 for r in readings if r["normal"]),
                        "outside": dict(outside), "families": len({r["family_id"] for r in readings}),
                        "massages_after_normal": sum(1 for r in readings if r["session_id"] is not None),
                        "wait_minutes": protocol.vitals.wait_minutes}
    notes.caveats = protocol_caveats(
        self_report=True, blinded=protocol.blinded,
        day_norm_instrument=instrument.title if norms is not None else None,
        substituted=(instrument.title, protocol.substitutes) if protocol.substitutes else None,
        performer=protocol.performer, sessions=known, by_performer=by_planned)
    return notes
