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


@dataclass(frozen=True)
class DayNorms:
    early_days_until: int
    notes: tuple[DayNote, ...]
    source: tuple[str, ...] = ()

    def notes_for(self, values: Mapping[str, object], day: int | None) -> list[DayNote]:
        return [n for n in self.notes if n.item in values and n.applies(values[n.item], day)]


def parse_day_norms(root: Node, sources: dict[str, Source]) -> DayNorms:
    root.mapping(required={"early_days_until", "notes", "source"}, allowed={"note"})
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
                    source=source)
