"""The labelled danger-sign corpus in content/danger_corpus/: messages written by independent authors.

Each file is ``<author>_<register>.tsv`` with four tab-separated columns and no header: register, signs (a comma
list of sign ids, or "-"), kind (danger | health | social | other, or "?" where the author gave none), text.
Lines starting with "#" are comments. ``python -m content.danger_eval --sync DIR`` copies the finished parts
from DIR (never an ``a5_*`` file: that part is sealed, read only by content/danger_eval.py), checks their format
and logs every fix in content/danger_corpus/FIXES.md.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "danger_corpus"
KINDS = ("danger", "health", "social", "other", "?")
NAME = re.compile(r"^(?P<author>[a-z][a-z0-9]*)_(?P<register>[a-z0-9_]+)\.tsv$")
SEALED = "a5"


@dataclass(frozen=True)
class Message:
    author: str
    register: str
    signs: frozenset[str]
    kind: str
    text: str
    file: str
    line: int


class CorpusError(ValueError):
    pass


def parse_line(raw: str, file: str, n: int, author: str) -> Message | None:
    if not raw.strip() or raw.startswith("#"):
        return None
    cols = raw.rstrip("\n").split("\t")
    if len(cols) != 4:
        raise CorpusError(f"{file}:{n}: expected 4 columns, found {len(cols)}")
    register, signs, kind, text = (c.strip() for c in cols)
    if kind not in KINDS:
        raise CorpusError(f"{file}:{n}: unknown kind {kind!r}")
    if not text:
        raise CorpusError(f"{file}:{n}: empty text")
    labels = frozenset() if signs in ("-", "") else frozenset(s.strip() for s in signs.split(",") if s.strip())
    return Message(author, register, labels, kind, text, file, n)


def read_file(path: Path) -> list[Message]:
    m = NAME.match(path.name)
    if not m:
        raise CorpusError(f"{path.name}: not <author>_<register>.tsv")
    out = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        msg = parse_line(raw, path.name, n, m["author"])
        if msg is not None:
            out.append(msg)
    return out


def load(folder: Path = CORPUS_DIR) -> list[Message]:
    """Every message of the repository's corpus (the sealed part is never in it)."""
    out: list[Message] = []
    for path in sorted(folder.glob("*.tsv")):
        out.extend(read_file(path))
    return out


def digest(folder: Path = CORPUS_DIR) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.tsv")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def sync(source: Path, folder: Path = CORPUS_DIR, known_signs: frozenset[str] | None = None) -> list[str]:
    """Copy the finished parts (all but the sealed one), fixing only format errors; returns the fixes made."""
    fixes: list[str] = []
    for path in sorted(source.glob("*.tsv")):
        if path.name.startswith(SEALED + "_") or not NAME.match(path.name):
            continue
        lines_out = []
        for n, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
            line = raw.rstrip("\r")
            if not line.strip():
                continue
            cols = line.split("\t")
            if len(cols) > 4:  # a tab inside the message
                cols = [*cols[:3], " ".join(c.strip() for c in cols[3:])]
                fixes.append(f"{path.name}:{n}: a tab inside the message text became a space")
            if len(cols) != 4:
                fixes.append(f"{path.name}:{n}: dropped, {len(cols)} columns, not a message line")
                continue
            stripped = [c.strip() for c in cols]
            if stripped[1] != "-":
                ids = [s.strip() for s in stripped[1].split(",") if s.strip()]
                if ",".join(ids) != stripped[1]:
                    fixes.append(f"{path.name}:{n}: spaces removed from the sign list")
                stripped[1] = ",".join(ids) or "-"
                unknown = [s for s in ids if known_signs is not None and s not in known_signs]
                if unknown:
                    fixes.append(f"{path.name}:{n}: NOTE unknown sign id(s) {unknown} kept as written")
            lines_out.append("\t".join(stripped))
        (folder / path.name).write_text("\n".join(lines_out) + "\n", encoding="utf-8")
    return fixes


R0_NOTE = """
## r0_mixed.tsv

`tests/data/danger_messages.tsv` (the rule writer's own corpus, issue 13) converted to the four-column format:
register `mixed` (the file has no register per message), kind `danger` where a sign is labelled and `?`
otherwise (the file gives no kind), the message text unchanged. Its split column ("tune"/"held") is dropped.
Label migration: the old sign `ibu_ingin_menyakiti` covered wishes to die as well; it was split into
`ibu_ingin_mati` and `ibu_ingin_menyakiti`, so the r0 messages about wanting to die or to end one's life are
labelled `ibu_ingin_mati` (lines listed in r0_mixed.tsv's header).
"""

