"""Short education messages (``education.yaml``) sent on the reminder days."""

from __future__ import annotations

from dataclasses import dataclass

from content.schema import Node, unique_ids
from content.sources import Source, read_source

AUDIENCES = ("ibu", "suami", "semua")


@dataclass(frozen=True)
class EducationMessage:
    id: str
    day: int  # postpartum day it belongs to (day 1 = the day after birth)
    audience: str  # "ibu" | "suami" | "semua"
    title: str
    text: str
    source: tuple[str, ...]
    note: str | None = None


def parse_education(root: Node, sources: dict[str, Source]) -> dict[str, EducationMessage]:
    root.mapping(required={"messages"})
    nodes = root.get("messages").list(min_len=1)
    out: dict[str, EducationMessage] = {}
    for node in nodes:
        node.mapping(allowed={"note"}, required={"id", "day", "audience", "title", "text", "source"})
        text = node.get("text").str()
        if "{" in text or "}" in text:
            raise node.error("education text must not contain placeholders or braces", f"{node.key}.text")
        source, note = read_source(node, sources)
        msg = EducationMessage(
            id=node.get("id").ident(),
            day=node.get("day").int(min_value=0, max_value=42),
            audience=node.get("audience").choice(AUDIENCES),
            title=node.get("title").str(),
            text=text,
            source=source,
            note=note,
        )
        out[msg.id] = msg
    unique_ids([(n.get("id").value, n) for n in nodes], "education message")
    return out
