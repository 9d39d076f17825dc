"""The massage guide (``sop.yaml``) and the safety questions asked before a session (``safety.yaml``).

The guide has the four SOP phases the papers use (pra-interaksi, orientasi, kerja, terminasi); each
phase holds short steps, one action each. A step may show a picture from ``images/`` with an
Indonesian caption, and may be timed. ``seconds: session`` in the file marks the step that lasts the
whole massage; its length comes from the protocol (:meth:`Sop.timed_for`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from content.schema import Node, unique_ids
from content.sources import Source, read_source

MAX_IMAGE_BYTES = 60 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Step:
    id: str
    text: str
    image: Path | None  # absolute path of the PNG, or None
    caption: str | None  # Indonesian alt/caption text for the image
    seconds: int | None  # set for a timed step
    source: tuple[str, ...]
    note: str | None = None
    session_timed: bool = False  # True: the step lasts the protocol's session length


@dataclass(frozen=True)
class Phase:
    id: str
    title: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Sop:
    phases: tuple[Phase, ...]

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(s for p in self.phases for s in p.steps)

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def phase_of(self, step_id: str) -> Phase:
        for p in self.phases:
            if any(s.id == step_id for s in p.steps):
                return p
        raise KeyError(step_id)

    def timed_for(self, session_seconds: int) -> Sop:
        """The same guide with the session-long step set to ``session_seconds``."""
        return Sop(
            tuple(
                replace(p, steps=tuple(
                    replace(s, seconds=session_seconds) if s.session_timed else s for s in p.steps
                ))
                for p in self.phases
            )
        )


@dataclass(frozen=True)
class SafetyQuestion:
    """A yes/no question; the answer "yes" stops the session."""

    id: str
    text: str
    stop_text: str  # kind explanation shown when the answer is "yes"
    source: tuple[str, ...]
    note: str | None = None
    danger_sign: str | None = None  # a danger sign id this "yes" also points to


PHASE_IDS = ("pra_interaksi", "orientasi", "kerja", "terminasi")


def parse_sop(root: Node, sources: dict[str, Source], images_dir: Path) -> Sop:
    root.mapping(required={"phases"})
    phases: list[Phase] = []
    phase_nodes = root.get("phases").list(min_len=1)
    ids = [(n.mapping().get("id").ident(), n) for n in phase_nodes]
    unique_ids(ids, "phase")
    if tuple(i for i, _ in ids) != PHASE_IDS:
        raise root.error(f"phases must be, in order: {', '.join(PHASE_IDS)}", "phases")
    step_ids: list[tuple[str, Node]] = []
    session_steps = 0
    for pnode in phase_nodes:
        pnode.mapping(required={"id", "title", "steps"})
        steps = []
        for snode in pnode.get("steps").list(min_len=1):
            step = _parse_step(snode, sources, images_dir)
            step_ids.append((step.id, snode))
            session_steps += step.session_timed
            steps.append(step)
        phases.append(Phase(pnode.get("id").ident(), pnode.get("title").str(), tuple(steps)))
    unique_ids(step_ids, "step")
    if session_steps != 1:
        raise root.error(f"exactly one step must have 'seconds: session', found {session_steps}", "phases")
    return Sop(tuple(phases))


def _parse_step(node: Node, sources: dict[str, Source], images_dir: Path) -> Step:
    node.mapping(allowed={"image", "caption", "seconds", "note"}, required={"id", "text", "source"})
    text = node.get("text").str()
    if "{" in text or "}" in text:
        raise node.error("step text must not contain placeholders or braces", f"{node.key}.text")
    image = caption = None
    if node.has("image"):
        image = check_image(node.get("image"), images_dir)
        if not node.has("caption"):
            raise node.error("a step with an image needs a caption (Indonesian alt text)", f"{node.key}.caption")
        caption = node.get("caption").str()
    elif node.has("caption"):
        raise node.error("caption without an image", f"{node.key}.caption")
    seconds: int | None = None
    session_timed = False
    if node.has("seconds"):
        snode = node.get("seconds")
        if snode.value == "session":
            session_timed = True
        else:
            seconds = snode.int(min_value=1, max_value=3600)
    source, note = read_source(node, sources)
    return Step(
        id=node.get("id").ident(), text=text, image=image, caption=caption, seconds=seconds,
        source=source, note=note, session_timed=session_timed,
    )


def check_image(node: Node, images_dir: Path) -> Path:
    name = node.str()
    if "/" in name or "\\" in name or not name.endswith(".png"):
        raise node.error(f"image must be a plain .png file name in images/, found {name!r}")
    path = images_dir / name
    if not path.is_file():
        raise node.error(f"image file images/{name} is missing")
    data = path.read_bytes()
    if not data.startswith(PNG_MAGIC):
        raise node.error(f"images/{name} is not a PNG file")
    if len(data) >= MAX_IMAGE_BYTES:
        raise node.error(f"images/{name} is {len(data) // 1024} KB; keep pictures under {MAX_IMAGE_BYTES // 1024} KB")
    return path


def parse_safety(root: Node, sources: dict[str, Source]) -> tuple[SafetyQuestion, ...]:
    root.mapping(required={"questions"})
    out = []
    nodes = root.get("questions").list(min_len=1)
    for node in nodes:
        node.mapping(allowed={"note", "danger_sign"}, required={"id", "text", "stop_text", "source"})
        source, note = read_source(node, sources)
        out.append(SafetyQuestion(
            id=node.get("id").ident(),
            text=node.get("text").str(),
            stop_text=node.get("stop_text").str(),
            source=source,
            note=note,
            danger_sign=node.get("danger_sign").ident() if node.has("danger_sign") else None,
        ))
    unique_ids([(q.id, n) for q, n in zip(out, nodes, strict=True)], "safety question")
    return tuple(out)
