"""The source registry (``sources.yaml``) and ``source:`` references in other files.

Every clinical step, item, sign, message and protocol carries ``source:`` naming one or more ids
from ``sources.yaml`` (a seed paper file or a guideline). ``derived`` marks text the project wrote
where no source spells it out; such entries must also carry a ``note:`` explaining the basis.
"""

from __future__ import annotations

from dataclasses import dataclass

from content.schema import Node

DERIVED = "derived"


@dataclass(frozen=True)
class Source:
    id: str
    citation: str
    file: str | None = None  # seed paper file name, e.g. "000_cff31b9b8f7e5650.txt"
    url: str | None = None
    authoritative: bool = False  # WHO, government, health service or peer-reviewed


def parse_sources(root: Node) -> dict[str, Source]:
    root.mapping(required={"sources"})
    out: dict[str, Source] = {}
    for ident, node in root.get("sources").items():
        Node(ident, node.file, node.key).ident()
        node.mapping(allowed={"file", "url", "authoritative"}, required={"citation"})
        out[ident] = Source(
            id=ident,
            citation=node.get("citation").str(),
            file=node.get("file").str() if node.has("file") else None,
            url=node.get("url").str() if node.has("url") else None,
            authoritative=node.get("authoritative").bool() if node.has("authoritative") else False,
        )
    if DERIVED not in out:
        raise root.error("the registry must define 'derived'", "sources")
    return out


def read_source(node: Node, sources: dict[str, Source]) -> tuple[tuple[str, ...], str | None]:
    """Read ``source:`` (one id or a list) and ``note:`` from a mapping node."""
    src = node.get("source")
    ids = (src.str(),) if isinstance(src.value, str) else src.str_list(min_len=1)
    for i in ids:
        if i not in sources:
            raise src.error(f"unknown source {i!r} (not in sources.yaml)")
    if len(set(ids)) != len(ids):
        raise src.error("a source is listed twice")
    note = node.get("note").str() if node.has("note") else None
    if DERIVED in ids and note is None:
        raise node.error("'source: derived' needs a 'note:' explaining the basis", f"{node.key}.note")
    return ids, note
