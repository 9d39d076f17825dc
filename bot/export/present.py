"""The export in words: a presentation layer applied at write time, over the sheets as the row builders make them.

The row builders (bot/export/study_sheets.py) write codes; the workbook and the CSV files a midwife opens show
words: Indonesian headers (``export.headers``) and every code of a column as its label. Which columns are shown
with which labels is a mapping in content (``export.shown_values``: column id -> value set), so adding one is a
line of YAML. The value sets are the schema's (bot/export/schema.py) plus three that need more than a static list:

- ``occasion`` — every occasion of every protocol ("day2_pre" -> "Hari 2, sebelum pijat");
- ``timezone`` — the zone as she knows it ("Asia/Jakarta" -> "WIB");
- ``facility`` — the facility's code as its name (from the database; the caller passes them).

The codes stay in the codes variant (``python -m bot export --codes``, ``/export csv kode``) and in the codebook.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from bot.export import schema
from bot.export.sheet import Sheet
from bot.flows.checklist import slots
from content import Content


def occasion_labels(content: Content) -> dict[str, str]:
    """Every stored occasion label of every protocol, in words."""
    word = {o: content.text(f"export.values.occasion.{o}") for o in ("pre", "post")}
    out = dict(word)
    for protocol in content.protocols.values():
        for s in slots(protocol):
            out.setdefault(f"day{s.day}_{s.occasion}",
                           content.text("export.occasion_day", hari=s.day, waktu=word[s.occasion].lower()))
            out.setdefault(s.label, out[f"day{s.day}_{s.occasion}"] if s.label != s.occasion else word[s.occasion])
    return out


def labels_for(content: Content, value_set: str, facility_names: Mapping[str, str]) -> dict[str, str]:
    if value_set == "occasion":
        return occasion_labels(content)
    if value_set == "facility":
        return dict(facility_names)
    if value_set == "stop_reason":
        prefix = "session.reason_"
        return {k[len(prefix):]: v for k, v in content.texts.items() if k.startswith(prefix)}
    return schema.value_labels(content, value_set)


def shown_values(content: Content) -> dict[str, str]:
    """column id -> the value set its codes are shown with (content/texts/export.yaml: shown_values)."""
    prefix = "export.shown_values."
    return {k[len(prefix):]: v for k, v in content.texts.items() if k.startswith(prefix)}


def in_words(sheets: Iterable[Sheet], content: Content, *, facility_names: Mapping[str, str]) -> Iterator[Sheet]:
    """Each sheet with labels for the mapped columns (headers and the schema's labels are already on it)."""
    mapping = shown_values(content)
    cache: dict[str, dict[str, str]] = {}
    for sheet in sheets:
        labels = list(sheet.value_labels) + [None] * (len(sheet.columns) - len(sheet.value_labels))
        specs = list(sheet.specs) or [schema.Column(c) for c in sheet.columns]
        for i, column in enumerate(sheet.columns):
            value_set = mapping.get(column)
            if value_set is None:
                continue
            if value_set not in cache:
                cache[value_set] = labels_for(content, value_set, facility_names)
            labels[i] = {**(labels[i] or {}), **cache[value_set]}
            if specs[i].kind == schema.TEXT:  # shown through its labels like a code
                specs[i] = specs[i].with_(kind=schema.CODE)
        sheet.value_labels, sheet.specs = labels, specs
        if sheet.instrument is not None:
            sheet.headers = _wide_headers(content, sheet)
        yield sheet


def _wide_headers(content: Content, sheet: Sheet) -> list[str]:
    """A wide sheet's headers with every occasion and item in words ("Skor hari 2, sebelum pijat",
    "Hari 1, sebelum pijat: <the item's words>"), where the row builder left a code."""
    words = occasion_labels(content)
    instrument = content.instruments.get(sheet.instrument or "")
    items = {i.id: i.text for i in instrument.items} if instrument else {}
    by_length = sorted(words, key=len, reverse=True)
    out = []
    for column, header in zip(sheet.columns, sheet.headers, strict=False):
        occasion = next((o for o in by_length if column == o or column.startswith(o + "_")), None)
        rest = column[len(occasion) + 1:] if occasion else ""
        if occasion is None or column in ("diff",):
            out.append(header)
        elif rest == "":
            out.append(content.text("export.prepost_headers.score", waktu=words[occasion].lower()))
        elif rest == "class":
            out.append(content.text("export.prepost_headers.class", waktu=words[occasion].lower()))
        elif rest in items:
            out.append(content.text("export.prepost_headers.item", waktu=words[occasion], butir=_short(items[rest])))
        else:
            out.append(header)
    return out


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def in_codes(sheets: Iterable[Sheet]) -> Iterator[Sheet]:
    """The codes variant: machine headers and the stored codes (explained in the codebook)."""
    for sheet in sheets:
        if sheet.name != "dictionary":
            sheet.headers = list(sheet.columns)
            sheet.value_labels = [None] * len(sheet.columns)
        yield sheet
