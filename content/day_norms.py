"""Day-by-day normal values for the checklist answers (``day_norms.yaml``): which answers are normal on the
baby's postpartum day, so advice says "wajar" only where it is true."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from content.schema import Node
from content.sources import Source, read_source


@dataclass(frozen=True)
class DayNote:
    item: str
    text: str  # text key
    values: tuple[str, ...] = ()
    from_day: int | None = None
    fewer_than_by_day: Mapping[int, int] = field(default_factory=dict)

    def applies(self, value: object, day: int | None) -> bool:
        if day is None:
            return False
        if self.values:
            return str(value) in self.values and (self.from_day is None or day >= self.from_day)
        if self.fewer_than_by_day and isinstance(value, int) and not isinstance(value, bool):
            last = max(self.fewer_than_by_day)
            least = self.fewer_than_by_day.get(day, self.fewer_than_by_day[last] if day > last else None)
            return least is not None and 0 < value < least  # 0 is the danger sign, told already
        return False


SESUAI = "sesuai_hari"  # the occasion meets the baby's day norm
DI_BAWAH = "di_bawah_hari"  # it does not
NORM_CLASSES = (SESUAI, DI_BAWAH)


def _by_day(table: Mapping[int, object], day: int) -> object | None:
    """The entry for ``day``: the one with the largest key not after it (keys are "from day N on")."""
    keys = [k for k in table if k <= max(day, 1)]
    return table[max(keys)] if keys else None


@dataclass(frozen=True)
class ItemNorm:
    item: str
    at_least_by_day: Mapping[int, int] = field(default_factory=dict)
    values_by_day: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    instrument: bool = False  # no day-specific norm: the instrument's own criterion (score 1)

    def meets(self, value: object, score: int, day: int) -> bool:
        if self.instrument:
            return score > 0
        if self.at_least_by_day:
            least = _by_day(self.at_least_by_day, day)
            return isinstance(value, int) and not isinstance(value, bool) and least is not None and value >= least
        allowed = _by_day(self.values_by_day, day)
        return allowed is not None and str(value) in allowed


@dataclass(frozen=True)
class InstrumentNorm:
    instrument: str
    at_least: int
    items: tuple[ItemNorm, ...]

    def met(self, values: Mapping[str, object], scores: Mapping[str, int], day: int) -> int:
        """How many items meet the baby's day norm."""
        return sum(1 for n in self.items if n.item in values and n.meets(values[n.item], scores.get(n.item, 0), day))

    def classify(self, values: Mapping[str, object], scores: Mapping[str, int], day: int) -> str:
        return SESUAI if self.met(values, scores, day) >= self.at_least else DI_BAWAH


@dataclass(frozen=True)
class DayNorms:
    early_days_until: int
    notes: tuple[DayNote, ...]
    source: tuple[str, ...] = ()
    instruments: Mapping[str, InstrumentNorm] = field(default_factory=dict)

    def notes_for(self, values: Mapping[str, object], day: int | None) -> list[DayNote]:
        return [n for n in self.notes if n.item in values and n.applies(values[n.item], day)]

    def for_instrument(self, instrument_id: str) -> InstrumentNorm | None:
        return self.instruments.get(instrument_id)


def _parse_instrument_norms(node: Node) -> dict[str, InstrumentNorm]:
    out = {}
    for inst_id, inode in node.items():
        inode.mapping(required={"at_least", "items"}, allowed={"note"})
        items = []
        for item_id, n in inode.get("items").items():
            n.mapping(allowed={"at_least_by_day", "values_by_day", "instrument"})
            if len([k for k in ("at_least_by_day", "values_by_day", "instrument") if n.has(k)]) != 1:
                raise n.error("give exactly one of at_least_by_day, values_by_day, instrument")
            least = {int(k): v.int(min_value=0) for k, v in n.get("at_least_by_day").items()} \
                if n.has("at_least_by_day") else {}
            allowed = {int(k): v.str_list(min_len=1) for k, v in n.get("values_by_day").items()} \
                if n.has("values_by_day") else {}
            items.append(ItemNorm(item_id, least, allowed, n.get("instrument").bool() if n.has("instrument") else False))
        out[inst_id] = InstrumentNorm(inst_id, inode.get("at_least").int(min_value=1), tuple(items))
    return out


def parse_day_norms(root: Node, sources: dict[str, Source]) -> DayNorms:
    root.mapping(required={"early_days_until", "notes", "source"}, allowed={"note", "instruments"})
    source, _note = read_source(root, sources)
    notes = []
    for node in root.get("notes").list(min_len=1):
        node.mapping(required={"item", "text"}, allowed={"values", "from_day", "fewer_than_by_day"})
        by_day = {}
        if node.has("fewer_than_by_day"):
            for k, v in node.get("fewer_than_by_day").items():
                by_day[int(k)] = v.int(min_value=0)
        notes.append(DayNote(
            item=node.get("item").ident(), text=node.get("text").str(),
            values=node.get("values").str_list(min_len=1) if node.has("values") else (),
            from_day=node.get("from_day").int(min_value=0) if node.has("from_day") else None,
            fewer_than_by_day=by_day,
        ))
    return DayNorms(early_days_until=root.get("early_days_until").int(min_value=0), notes=tuple(notes),
                    source=source,
                    instruments=_parse_instrument_norms(root.get("instruments")) if root.has("instruments") else {})
