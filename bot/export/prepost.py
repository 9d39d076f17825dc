"""The wide pre/post files (issue 24): one sheet per protocol version, read from the protocol itself.

The protocol is the one definition every output reads. A sheet ``prepost_<protocol>_v<version>`` has one row per
family with research consent on that protocol version (a family that used /hapus too: a pseudonymous row marked
``withdrawn``, no personal field), so its rows are the flow's "research consent". Its occasions are the protocol's
own, named and ordered as the protocol names them (``pre``, ``post``; ``day1_pre``, ``day1_post``, … for seed 001).
Per occasion:

- ``<occasion>`` -- the score, only when the measurement was on time (what the analysis uses);
- ``<occasion>_window`` -- its window status (``on_time``, ``early``, ``late``, ``after_massage``, ``skipped``;
  empty when not taken);
- ``<occasion>_outside`` -- the score of a measurement outside its window (left out of the analysis);
- ``<occasion>_class`` and ``<occasion>_<item>`` -- the class and item scores of the on-time measurement;

and per protocol pair the difference ``post - pre`` of the on-time scores: ``diff`` for a protocol with one pair,
``day<N>_diff`` for a daily pair (seed 001), else ``<pre>_<post>_diff``. The latest finished measurement of each
occasion counts, as in the report (bot/flows/protocol_study.py), and whether a family counts is decided by the same
rule (analysis.flow.loss_reason), so ``analyze --csv`` on a file, the ``.sav`` and ``analyze --protocol`` agree.
``sessions_done``, ``sessions_planned`` and ``per_protocol`` (every planned session on every day) label the
per-protocol families beside all analysed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session

from bot.export import schema
from bot.export.sheet import Sheet, dress
from bot.flows import protocol_study
from bot.flows.checklist import slots
from bot.flows.instrument_scale import is_ordinal
from content import Content
from storage import research

PREFIX = "prepost_"
NORM = "norm_class"  # <occasion>_norm_class: the occasion's class against the baby's day norm
FAMILY_COLUMNS = ["participant", "facility", "protocol", "protocol_version", "withdrawn", "sessions_done",
                  "sessions_planned", "per_protocol"]


@dataclass(frozen=True)
class Layout:
    """One protocol version's wide file: its occasions in protocol order, its pairs and their diff columns."""

    protocol: object  # content.protocols.Protocol
    version: int
    instrument: object  # content.instruments.Instrument
    occasions: list[str]
    days: dict[str, int]  # occasion -> protocol day
    kinds: dict[str, str]  # occasion -> "pre" / "post"
    pairs: list[protocol_study.OccasionPair]
    diffs: list[str]  # one column per pair
    # the instrument has a baby's day norm (content/day_norms.yaml): each occasion's class against it too, as
    # the report shows it beside the instrument's own class
    day_norm: bool = False

    @property
    def name(self) -> str:
        return f"{PREFIX}{self.protocol.id}_v{self.version}"[:31]

    @property
    def file_stem(self) -> str:
        return f"{self.protocol.id}_v{self.version}"

    @property
    def item_ids(self) -> list[str]:
        return [i.id for i in self.instrument.items]

    def columns(self) -> list[str]:
        cols = list(FAMILY_COLUMNS)
        cols += self.occasions
        cols += [f"{o}_window" for o in self.occasions]
        cols += [f"{o}_outside" for o in self.occasions]
        cols += self.diffs
        cols += [f"{o}_class" for o in self.occasions]
        if self.day_norm:
            cols += [f"{o}_{NORM}" for o in self.occasions]
        cols += [f"{o}_{item}" for o in self.occasions for item in self.item_ids]
        return cols


def diff_name(pair: protocol_study.OccasionPair, single: bool) -> str:
    if single and (pair.pre, pair.post) == ("pre", "post"):
        return "diff"
    if pair.day is not None and pair.pre.startswith(f"day{pair.day}_") and pair.post.startswith(f"day{pair.day}_"):
        return f"day{pair.day}_diff"
    return f"{pair.pre}_{pair.post}_diff"


def layout(content: Content, protocol_id: str, version: int) -> Layout:
    protocol = content.protocols[protocol_id]
    ordered = slots(protocol)
    pairs = protocol_study.occasion_pairs(protocol)
    norms = content.day_norms
    return Layout(protocol, version, content.instruments[protocol.instrument], [s.label for s in ordered],
                  {s.label: s.day for s in ordered}, {s.label: s.occasion for s in ordered}, pairs,
                  [diff_name(p, len(pairs) == 1) for p in pairs],
                  day_norm=norms is not None and norms.for_instrument(protocol.instrument) is not None)


def layouts(session: Session, content: Content, facility_id: int | None) -> list[Layout]:
    """Every protocol version with families in the facility (None: all), in protocol then version order."""
    out = []
    for protocol_id, _ in sorted(research.protocols_of_facility(session, facility_id)):
        if protocol_id not in content.protocols:
            continue
        for version, _ in sorted(research.versions(session, protocol_id, facility_id)):
            out.append(layout(content, protocol_id, version))
    return out


def rows(session: Session, lay: Layout, facility_id: int | None) -> Iterator[tuple]:
    """One row per research-consenting family of the protocol version, in family order."""
    protocol = lay.protocol
    fams = [f for f in research.families(session, protocol.id, lay.version, facility_id) if f["consent"]]
    if not fams:
        return
    done: dict[int, dict[int, int]] = {}
    for r in research.sessions(session, protocol.id, lay.version, facility_id):
        if r["day"] is not None:
            per_day = done.setdefault(r["family_id"], {})
            per_day[int(r["day"])] = per_day.get(int(r["day"]), 0) + 1
    planned = len(protocol.days) * protocol.sessions_per_day
    measured = itertools.groupby(
        research.measurements(session, protocol.id, lay.version, facility_id, lay.instrument.id),
        key=lambda r: r["family_id"])
    pending = next(measured, None)
    for fam in fams:
        while pending is not None and pending[0] < fam["family_id"]:
            pending = next(measured, None)
        taken: dict[str, dict] = {}
        if pending is not None and pending[0] == fam["family_id"]:
            taken = protocol_study.latest_taken(pending[1]).get(fam["family_id"], {})
            pending = next(measured, None)
        days = done.get(fam["family_id"], {})
        sessions_done = sum(days.values())
        as_planned = all(days.get(d, 0) >= protocol.sessions_per_day for d in protocol.days)
        yield _row(lay, fam, taken, sessions_done, planned, as_planned)


def _row(lay: Layout, fam: dict, taken: dict[str, dict], sessions_done: int, planned: int,
         as_planned: bool) -> tuple:
    on_time: dict[str, dict] = {}
    window: dict[str, str | None] = {}
    outside: dict[str, object] = {}
    for o in lay.occasions:
        m = taken.get(o)
        window[o] = None if m is None else m["window"]
        if m is not None and protocol_study.counts(fam, m):
            on_time[o] = m
        elif m is not None and m["window"] != "on_time":
            outside[o] = m["score"]
    scores = [on_time[o]["score"] if o in on_time else None for o in lay.occasions]
    diffs = []
    for pair in lay.pairs:
        a, b = on_time.get(pair.pre), on_time.get(pair.post)
        diffs.append(b["score"] - a["score"] if a is not None and b is not None else None)
    classes = [on_time[o]["class_key"] if o in on_time else None for o in lay.occasions]
    if lay.day_norm:
        classes += [on_time[o].get("norm_class") if o in on_time else None for o in lay.occasions]
    items = [on_time[o]["items"].get(i) if o in on_time else None for o in lay.occasions for i in lay.item_ids]
    return (fam["family"], fam["facility"], lay.protocol.id, int(fam["version"]), int(fam["status"] == "deleted"),
            sessions_done, planned, int(as_planned), *scores, *(window[o] for o in lay.occasions),
            *(outside.get(o) for o in lay.occasions), *diffs, *classes, *items)


# -- the sheet -------------------------------------------------------------------------------------------

def _words(content: Content, lay: Layout, occasion: str) -> str:
    return content.text(f"export.prepost_occasion.{lay.kinds[occasion]}", hari=lay.days[occasion])


def specs(lay: Layout) -> list[schema.Column]:
    instrument = lay.instrument
    level = schema.ORDINAL if is_ordinal(instrument) else schema.SCALE
    origin = ",".join(instrument.source)
    items = {i.id: i for i in instrument.items}
    fixed = {
        "participant": schema.Column("participant", schema.TEXT, width=12),
        "facility": schema.COLUMNS["facility"],
        "protocol": schema.Column("protocol", schema.TEXT, width=12),  # a string: the .sps selects on it
        "protocol_version": schema.COLUMNS["protocol_version"],
        "withdrawn": schema.Column("withdrawn", schema.FLAG, values="yesno"),
        "sessions_done": schema.COLUMNS["sessions_done"],
        "sessions_planned": schema.Column("sessions_planned", schema.INT, measure=schema.SCALE, unit="sesi"),
        "per_protocol": schema.Column("per_protocol", schema.FLAG, values="yesno"),
    }
    out = []
    for c in lay.columns():
        if c in fixed:
            out.append(fixed[c])
        elif c in lay.occasions or c.endswith("_outside"):
            out.append(schema.Column(c, schema.INT, measure=level, unit="poin", source=origin))
        elif c.endswith("_window"):
            out.append(schema.Column(c, schema.CODE, values="window", width=14))
        elif c in lay.diffs:
            out.append(schema.Column(c, schema.INT, measure=schema.SCALE, unit="poin", source=origin))
        elif c.endswith(f"_{NORM}"):
            out.append(schema.Column(c, schema.CODE, values=NORM, source="derived", width=16))
        elif c.endswith("_class"):
            out.append(schema.Column(c, schema.CODE, values=f"class:{instrument.id}", source=origin, width=16))
        else:
            item_id = next(i for i in lay.item_ids if c.endswith(f"_{i}"))
            item = items[item_id]
            out.append(schema.Column(c, schema.INT, measure=schema.ORDINAL, values=f"item:{instrument.id}/{item_id}",
                                     source=",".join(item.source), width=10))
    return out


def _split(lay: Layout, column: str) -> tuple[str | None, str]:
    """(occasion, rest) of an occasion column: ("day1_pre", "window"), ("pre", ""), or (None, column)."""
    for o in sorted(lay.occasions, key=len, reverse=True):
        if column == o:
            return o, ""
        if column.startswith(f"{o}_"):
            return o, column[len(o) + 1:]
    return None, column


def sheet(session: Session, content: Content, lay: Layout, facility_id: int | None) -> Sheet:
    t = content.text
    texts = {i.id: i.text for i in lay.instrument.items}
    pair_of = dict(zip(lay.diffs, lay.pairs, strict=True))

    def label(column: str, prefix: str, item) -> str:
        """A column in words under ``prefix`` (the codebook's description or the sheet's header)."""
        if column in pair_of:
            p = pair_of[column]
            return t(f"{prefix}.diff_pair", sesudah=_words(content, lay, p.post), sebelum=_words(content, lay, p.pre))
        occasion, rest = _split(lay, column)
        if occasion is None:
            return t(f"{prefix}.{column}")
        waktu = _words(content, lay, occasion)
        if rest in ("", "window", "outside", "class", NORM):
            return t(f"{prefix}.{rest or 'score'}", waktu=waktu)
        return item(waktu, rest)

    def describe(column: str) -> str:
        return label(column, "export.columns.prepost",
                     lambda waktu, rest: t("export.columns.prepost.item", waktu=waktu, butir=texts.get(rest, rest)))

    def header(column: str) -> str:
        return label(column, "export.prepost_headers",
                     lambda waktu, rest: t("export.prepost_headers.item", waktu=waktu[:1].upper() + waktu[1:],
                                           butir=rest))

    columns = lay.columns()
    made = Sheet(lay.name, columns, rows(session, lay, facility_id), describe,
                 t("export.sheets.prepost_protocol", protokol=lay.protocol.id, versi=lay.version,
                   instrumen=lay.instrument.title),
                 title=t("export.sheet_titles.prepost_protocol", protokol=lay.protocol.id, versi=lay.version)[:31],
                 headers=[header(c) for c in columns], instrument=lay.instrument.id)
    made.protocol = lay.protocol.id
    made.version = lay.version
    made.layout = lay
    made.scoring = scoring(content, lay, columns)
    made.belongs_to = dict.fromkeys(columns, f"{lay.protocol.id} v{lay.version} / {lay.instrument.id} "
                                              f"v{lay.instrument.version}")
    return dress(made, content, specs(lay))


def scoring(content: Content, lay: Layout, columns: list[str]) -> dict[str, str]:
    instrument = lay.instrument
    classes = "; ".join(f"{c.label} {c.min}-{c.max}" for c in instrument.classifications)
    total = content.text("export.scoring.total", min=instrument.min_total, max=instrument.max_total, kelas=classes,
                         arah=content.text("export.scoring.higher" if instrument.higher_is_better
                                           else "export.scoring.lower"))
    out: dict[str, str] = {}
    for c in columns:
        occasion, rest = _split(lay, c)
        if c in lay.diffs:
            out[c] = content.text("export.scoring.diff")
        elif occasion is not None and rest in ("", "outside"):
            out[c] = total
        elif occasion is not None and rest == "class":
            out[c] = classes
        elif occasion is not None and rest == NORM:
            out[c] = content.text("export.scoring.norm_class")
        elif occasion is not None and rest in lay.item_ids:
            item = instrument.item(rest)
            if item.answer_type == "number" and item.criterion is not None:
                out[c] = content.text("export.scoring.criterion", syarat=item.criterion.default.describe(item.unit))
            else:
                out[c] = "; ".join(f"{_choice(content, ch.value)} = {ch.score}" for ch in item.choices)
    return out


def _choice(content: Content, value: object) -> str:
    if isinstance(value, bool):
        return content.text(f"export.values.yesno.{int(value)}")
    return str(value)


def sheets(session: Session, content: Content, facility_id: int | None) -> Iterator[Sheet]:
    """The wide sheets, one per protocol version with research-consenting families."""
    for lay in layouts(session, content, facility_id):
        made = sheet(session, content, lay, facility_id)
        first = next(iter(made.rows), None)
        if first is None:
            continue
        made.rows = _again(first, made.rows)
        yield made


def _again(first: tuple, rest) -> Iterator[tuple]:
    """The rows with the one already read put back in front (still a generator: streamed, read once)."""
    yield first
    yield from rest
